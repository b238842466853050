"""dsbuild.build.beam: Beam options collected and checked before any build (no TensorFlow needed)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from dsbuild.build.beam import check_request, collect_flags, describe, worker_env
from dsbuild.errors import UsageError
from dsbuild.paths import resolve_data_dir


def test_both_forms_collect_in_order_and_values_keep_commas() -> None:
    flags = collect_flags("runner=PortableRunner,job_endpoint=embed", ["environment_config=a,b", "--save_main_session"])
    assert flags == [
        "--runner=PortableRunner",
        "--job_endpoint=embed",
        "--environment_config=a,b",
        "--save_main_session",
    ]


@pytest.mark.parametrize("bad", ["=1", "two words=1", "-x=1", "a-b=1"])
def test_a_key_that_is_not_an_identifier_is_refused(bad: str) -> None:
    with pytest.raises(UsageError, match="is not KEY=VALUE"):
        collect_flags(None, [bad])


def test_a_tfds_flag_passed_as_a_beam_option_is_refused() -> None:
    # Beam options never reach TFDS's command line: a `--data_dir=...` smuggled in is just an unknown option.
    with pytest.raises(UsageError, match="unknown Beam option\\(s\\): data_dir"):
        describe(collect_flags(None, ["--data_dir=/tmp/x"]))
    with pytest.raises(UsageError, match="is not KEY=VALUE"):
        collect_flags(None, ["-h"])


def test_nothing_given_means_no_beam() -> None:
    assert check_request([], max_examples_per_split=3) is None


def test_max_examples_per_split_is_refused() -> None:
    with pytest.raises(UsageError, match="--max-examples-per-split cannot be used with Beam"):
        check_request(["--direct_num_workers=2"], max_examples_per_split=3)


def test_unknown_option_is_named() -> None:
    with pytest.raises(UsageError, match="unknown Beam option\\(s\\): direct_num_wrkers, flinkmaster"):
        describe(["--direct_num_wrkers=2", "--flinkmaster=x"])


def test_runner_options_of_flink_and_spark_are_known() -> None:
    settings = describe(["--runner=FlinkRunner", "--flink_master=host:8081", "--spark_master_url=spark://h:7077"])
    assert settings.runner == "FlinkRunner"


def test_bad_value_is_refused_with_beams_reason() -> None:
    with pytest.raises(UsageError, match="direct_num_workers: invalid int value: 'two'"):
        describe(["--direct_num_workers=two"])


def test_direct_runner_runs_as_its_fn_api_runner_and_counts_workers() -> None:
    settings = describe(["--runner=DirectRunner", "--direct_running_mode=multi_processing", "--direct_num_workers=2"])
    assert settings.flags[-1] == "--runner=FnApiRunner"
    assert "--runner=DirectRunner" not in settings.flags
    assert settings.summary() == "DirectRunner (its FnApiRunner), multi_processing, 2 workers"
    all_cores = describe(["--direct_running_mode=multi_processing", "--direct_num_workers=0"])
    assert all_cores.workers == f"multi_processing, {os.cpu_count()} workers"


def test_portable_runner_summary_names_the_environment() -> None:
    settings = describe(["--runner=PortableRunner", "--environment_type=EXTERNAL", "--environment_config=127.0.0.1:5"])
    assert settings.summary().startswith("PortableRunner, EXTERNAL environment at 127.0.0.1:5")
    assert settings.flags[0] == "--runner=PortableRunner"


def test_worker_env_puts_the_builder_parent_and_the_project_first(tmp_path: Path) -> None:
    folder = tmp_path / "builders" / "my_ds"
    env = worker_env(str(folder), {"PYTHONPATH": "/elsewhere", "HOME": "/h"})
    project = str(Path(__file__).resolve().parent.parent)
    assert env["PYTHONPATH"].split(os.pathsep) == [str(folder.parent), project, "/elsewhere"]
    assert env["HOME"] == "/h"
    assert worker_env("mnist", {})["PYTHONPATH"] == project  # a registered name: no folder to add


@pytest.mark.parametrize("url", ["s3://bucket/data", "gs://b/d", "file:///tmp/x"])
def test_a_url_data_dir_is_refused(url: str) -> None:
    with pytest.raises(UsageError, match="is a URL"):
        resolve_data_dir(url)
