"""Write the dummy source files of ucf101_clean (deterministic; needs the `ffmpeg` binary).

Default: the two extracted zips in this folder:
  UCF101_videos/UCF101/v_<Class>_gXX_cYY.avi  (three-frame 16x16 MJPEG AVIs)
  UCF101TrainTestSplits-RecognitionTask/ucfTrainTestlist/{train,test}list0{1,2,3}.txt, classInd.txt
Each official split holds 2 train and 1 test video; one list line uses the real lists' misspelling
`HandStandPushups` of the file name. Lines end in CRLF like the real lists.
`--source-archives OUTDIR`: the two .zip files in their real download form.
"""

import pathlib
import subprocess
import tempfile

import numpy as np

from dsbuild.testing import make

VIDEOS = ["v_Archery_g01_c01.avi", "v_HandstandPushups_g01_c01.avi", "v_Nunchucks_g01_c01.avi"]
# (train, test) list entries per official split; list names use the real `HandStandPushups` spelling.
ENTRIES = {
    "Archery": "Archery/v_Archery_g01_c01.avi",
    "Handstand": "HandstandPushups/v_HandStandPushups_g01_c01.avi",
    "Nunchucks": "Nunchucks/v_Nunchucks_g01_c01.avi",
}
CLASS_INDEX = {"Archery": 3, "HandstandPushups": 37, "Nunchucks": 56}
SPLITS = {1: (["Archery", "Handstand"], ["Nunchucks"]),
          2: (["Nunchucks", "Archery"], ["Handstand"]),
          3: (["Handstand", "Nunchucks"], ["Archery"])}  # fmt: skip


def avi(seed: int) -> bytes:
    """A three-frame 16x16 MJPEG AVI encoded by ffmpeg from deterministic raw frames."""
    frames = np.random.default_rng(seed).integers(0, 256, size=(3, 16, 16, 3), dtype=np.uint8)
    cmd = ["ffmpeg", "-v", "error", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", "16x16", "-r", "5",
           "-i", "pipe:0", "-c:v", "mjpeg", "-fflags", "+bitexact", "-flags:v", "+bitexact",
           "-y"]  # fmt: skip
    # A seekable output file (not a pipe) lets ffmpeg write the AVI header and index properly.
    with tempfile.TemporaryDirectory() as tmp:
        out = pathlib.Path(tmp) / "video.avi"
        subprocess.run([*cmd, str(out)], input=frames.tobytes(), capture_output=True, check=True)
        return out.read_bytes()


def split_lists() -> dict[str, bytes]:
    out = {"classInd.txt": "".join(f"{i} {c}\r\n" for c, i in CLASS_INDEX.items())}
    for number, (train, test) in SPLITS.items():
        out[f"trainlist{number:02d}.txt"] = "".join(
            f"{ENTRIES[k]} {CLASS_INDEX[ENTRIES[k].split('/')[0]]}\r\n" for k in train
        )
        out[f"testlist{number:02d}.txt"] = "".join(f"{ENTRIES[k]}\r\n" for k in test)
    return {name: text.encode() for name, text in out.items()}


def archives() -> dict[str, dict[str, bytes]]:
    """Zip file name -> {member path: bytes}, laid out like the real downloads."""
    return {
        "UCF101_videos.zip": {f"UCF101/{name}": avi(i) for i, name in enumerate(VIDEOS)},
        "UCF101TrainTestSplits-RecognitionTask.zip": {
            f"ucfTrainTestlist/{name}": data for name, data in split_lists().items()
        },
    }


if __name__ == "__main__":
    make.main(__doc__, pathlib.Path(__file__).resolve().parent, archives)
