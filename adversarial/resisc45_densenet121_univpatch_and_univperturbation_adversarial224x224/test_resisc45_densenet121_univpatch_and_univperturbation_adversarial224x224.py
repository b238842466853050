"""Offline test of resisc45_densenet121_univpatch_and_univperturbation_adversarial224x224 from dummy_data/."""

import tempfile

import tensorflow_datasets as tfds
from etils import epath

from . import resisc45_densenet121_univpatch_and_univperturbation_adversarial224x224 as builder_module

_EXTRACTED = "resisc45_densenet121_univpatch_and_univperturbation_adversarial_224x224_1.0.1"


class Resisc45AdversarialTest(tfds.testing.DatasetBuilderTestCase):
    DATASET_CLASS = builder_module.Resisc45Densenet121UnivpatchAndUnivperturbationAdversarial224x224
    # 22 label folders (the minimum), one image each plus a second 'airplane' image.
    SPLITS = {"adversarial": 23}
    DL_EXTRACT_RESULT = _EXTRACTED

    def _assertAsDataset(self, builder):  # noqa: N802 - TFDS hook name
        super()._assertAsDataset(builder)
        labels = builder.info.features["labels"]["clean"]
        lake = labels.str2int("lake")
        examples = list(tfds.as_numpy(builder.as_dataset(split="adversarial")))
        for ex in examples:
            name = ex["imagename"].decode()
            self.assertEqual(labels.int2str(ex["labels"]["clean"]), name.rsplit("_", 1)[0])
            self.assertEqual(ex["labels"]["adversarial_univperturbation"], ex["labels"]["clean"])
            # Index 21 of the 22 sorted folders is 'lake', as with all 45 folders.
            self.assertEqual(ex["labels"]["adversarial_univpatch"], lake)

    def test_too_few_label_folders(self):
        with tempfile.TemporaryDirectory() as tmp:
            clean = epath.Path(tmp) / "clean"
            for label in ("airplane", "beach"):
                (clean / label).mkdir(parents=True)
            with self.assertRaisesRegex(ValueError, "2 label folders .* need at least 22"):
                builder_module.list_labels(clean)

    def test_unknown_label_folder(self):
        with tempfile.TemporaryDirectory() as tmp:
            (epath.Path(tmp) / "clean" / "volcano").mkdir(parents=True)
            with self.assertRaisesRegex(ValueError, r"unknown label folders \['volcano'\]"):
                builder_module.list_labels(epath.Path(tmp) / "clean")


if __name__ == "__main__":
    tfds.testing.test_main()
