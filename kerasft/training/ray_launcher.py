"""Launching a training on a Ray cluster with Ray Train's `TensorflowTrainer`.

Ray starts one process per worker and sets `TF_CONFIG` in each, so
`strategy="multi_worker"` (or `"auto"`) finds the cluster and `Task.fit`
runs kerasft's distributed loop (Keras' own `fit` cannot run that
strategy). Only the chief (worker 0) writes files.

    pip install 'kerasft[ray]'
    kerasft train --config configs/bbc_news.yaml --workers 4

or from Python:

    from kerasft.training.ray_launcher import run_on_ray

    def train(config):
        model = kft.TextClassifier.from_pretrained(
            "minilm-l6", labels=config["labels"], strategy="multi_worker")
        model.fit(...)

    run_on_ray(train, num_workers=4, config={"labels": [...]})
"""

import os

RAY_INSTALL = "pip install 'kerasft[ray]'"


def import_ray_train():
    """`(ScalingConfig, TensorflowTrainer)` from Ray Train.

    Raises:
        ImportError: Ray Train is not installed (names the pip line).
    """
    try:
        from ray.train import ScalingConfig
        from ray.train.tensorflow import TensorflowTrainer
    except ImportError as e:
        raise ImportError(
            f"Training on several workers with Ray needs Ray Train. Received: {e}. "
            f"Install it with: {RAY_INSTALL}"
        ) from e
    return ScalingConfig, TensorflowTrainer


def run_on_ray(train_loop, num_workers=2, config=None, use_gpu=False,
               resources_per_worker=None, storage_path=None):
    """Runs `train_loop(config)` on `num_workers` Ray workers, each with its
    `TF_CONFIG`; returns Ray's `Result`.

    Args:
        train_loop: callable taking one dict. Builds the model with
            `strategy="multi_worker"` and calls `fit`.
        num_workers: int. Training processes (one replica each on CPU, or
            one per GPU with `use_gpu`).
        config: dict or None. Passed to `train_loop`.
        use_gpu: bool. One GPU per worker.
        resources_per_worker: dict or None. Ray resources, for example
            `{"CPU": 4}`.
        storage_path: str or None. Where Ray keeps its run records
            (default: Ray's, under ~/ray_results).

    Raises:
        ImportError: Ray Train is not installed.
    """
    ScalingConfig, TensorflowTrainer = import_ray_train()
    from ray.train import RunConfig

    scaling = ScalingConfig(num_workers=int(num_workers), use_gpu=use_gpu,
                            resources_per_worker=resources_per_worker)
    trainer = TensorflowTrainer(
        train_loop_per_worker=train_loop, train_loop_config=dict(config or {}),
        scaling_config=scaling, run_config=RunConfig(storage_path=storage_path))
    return trainer.fit()


def _train_config_on_worker(arguments):
    """The per-worker loop of `kerasft train --workers N`."""
    import sys

    sys.path[:0] = [p for p in arguments["sys_path"] if p not in sys.path]
    os.chdir(arguments["cwd"])  # Ray starts workers elsewhere; relative paths are the caller's
    from kerasft.runs import train_from_config

    train_from_config(arguments["config"], overwrite=arguments["overwrite"],
                      restart=arguments["restart"])


def train_config_on_ray(config, num_workers, overwrite=False, restart=False, use_gpu=False):
    """`kerasft train` on `num_workers` Ray workers: every worker runs
    `kerasft.runs.train_from_config` with `training.strategy: multi_worker`;
    the chief writes the run, the others write nothing that stays.

    Args:
        config: dict. A loaded run config (its `name` is fixed here, so
            every worker uses the same one).
        num_workers: int. Workers (>= 2 to be useful).

    Raises:
        ImportError: Ray Train is not installed.
    """
    import datetime

    import_ray_train()
    config = {**config, "training": {**config["training"], "strategy": "multi_worker"}}
    config["name"] = config["name"] or datetime.datetime.now().strftime("run-%Y%m%d-%H%M%S")
    config["output_dir"] = os.path.abspath(config["output_dir"])
    import sys

    arguments = {"config": config, "overwrite": overwrite, "restart": restart,
                 "sys_path": [p for p in sys.path if p], "cwd": os.getcwd()}
    return run_on_ray(_train_config_on_worker, num_workers, arguments, use_gpu=use_gpu)
