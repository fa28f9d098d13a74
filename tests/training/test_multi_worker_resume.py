"""Resume under the multi-worker strategy: two workers on 127.0.0.1 killed
mid-epoch, restarted on the chief's backup, end where an uninterrupted run
over the same global batches ends."""

import hashlib
import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from helpers import start_workers

TESTS_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# argv: tests dir, strategy, backup dir ("-": none), weights out, kill at
# global step (0: never).
WORKER = textwrap.dedent("""
    import json, os, sys, time
    sys.path.insert(0, sys.argv[1])
    import keras, numpy as np
    from helpers import toy_sentiment
    import kerasft as kft
    strategy, backup_dir, out, kill_at = sys.argv[2:6]
    texts, labels = toy_sentiment()
    keras.utils.set_random_seed(0)
    model = kft.TextClassifier.from_pretrained(
        "tiny-bert", labels=["neg", "pos"], sequence_length=32, dropout=0.0,
        strategy=strategy)
    model.compile(learning_rate=3e-3)

    class Die(keras.callbacks.Callback):
        steps, start = 0, None
        def on_epoch_begin(self, epoch, logs=None):
            if Die.start is None:  # after the backup was restored
                Die.start = [epoch, int(self.model.optimizer.iterations.numpy())]
        def on_train_batch_end(self, batch, logs=None):
            Die.steps += 1
            if Die.steps == int(kill_at):
                # Both must have finished the step's collectives before either
                # dies, else the slower one fails on a closed socket (exit 1).
                folder = os.path.dirname(out)
                open(os.path.join(folder, f"dying-{os.getpid()}"), "w").close()
                for _ in range(600):
                    if sum(f.startswith("dying-") for f in os.listdir(folder)) >= 2:
                        break
                    time.sleep(0.1)
                os._exit(9)

    history = model.fit(texts, labels, epochs=3, batch_size=8, seed=0, verbose=0,
                        callbacks=[Die()], backup_interval=2,
                        backup_dir=None if backup_dir == "-" else backup_dir)
    np.save(out, np.concatenate([np.asarray(v, "float32").ravel()
                                 for v in model.trainable_variables]))
    # The collective that decides time-based backups: worker 1 says due.
    from kerasft.training.workers import agree
    index = json.loads(os.environ.get("TF_CONFIG", "{}")).get("task", {}).get("index", 0)
    agreed = agree(index == 1, float(index), model.distribute_strategy)
    print(json.dumps({"replicas": model.distribute_strategy.num_replicas_in_sync,
                      "start": Die.start, "agreed": agreed, "loss": history.history["loss"]}))
""")


def _run_workers(args):
    procs = start_workers(WORKER, args)
    return [(p.returncode, out, err) for p, (out, err) in
            ((p, p.communicate(timeout=900)) for p in procs)]


@pytest.mark.slow  # about 40 s: two workers killed and restarted (CI runs it)
def test_two_workers_killed_mid_epoch_resume_to_the_uninterrupted_weights(tmp_path):
    backup = str(tmp_path / "backup")
    # 6 steps per epoch: killed after step 3 of epoch 2; the chief's last
    # backup is at step 2 of that epoch.
    killed = _run_workers([TESTS_DIR, "multi_worker", backup, str(tmp_path / "x{index}.npy"),
                           "9"])
    assert [code for code, _, _ in killed] == [9, 9], killed[0][2][-3000:]
    assert sorted(os.listdir(backup)) != []
    resumed = _run_workers([TESTS_DIR, "multi_worker", backup, str(tmp_path / "w{index}.npy"),
                            "0"])
    for code, _, err in resumed:
        assert code == 0, err[-3000:]
    w0, w1 = (np.load(tmp_path / f"w{i}.npy") for i in range(2))
    assert hashlib.sha256(w0.tobytes()).digest() == hashlib.sha256(w1.tobytes()).digest()
    logs = [json.loads(out.strip().splitlines()[-1]) for _, out, _ in resumed]
    assert all(log["replicas"] == 2 for log in logs)
    # Both restarted from the backup: epoch 2 (index 1), 8 steps trained.
    assert [log["start"] for log in logs] == [[1, 8], [1, 8]]
    assert [log["agreed"] for log in logs] == [[True, 0.5], [True, 0.5]]
    # The same global batches in one process, never interrupted.
    single = subprocess.run([sys.executable, "-c", WORKER, TESTS_DIR, "default", "-",
                             str(tmp_path / "single.npy"), "0"],
                            capture_output=True, text=True, timeout=600, check=False)
    assert single.returncode == 0, single.stderr[-3000:]
    alone = json.loads(single.stdout.strip().splitlines()[-1])
    assert np.abs(w0 - np.load(tmp_path / "single.npy")).max() < 1e-5
    # The resumed history is the whole run's: three epochs, the same losses.
    assert np.allclose(logs[0]["loss"], alone["loss"], rtol=1e-5)
