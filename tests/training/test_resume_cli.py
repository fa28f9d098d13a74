"""`kerasft train`: a non-finite loss exits 2 with the message; a killed
run resumes when rerun."""

import os
import signal
import subprocess
import sys
import textwrap


from kerasft.cli import main

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ROWS = [("good great film", "pos"), ("a great movie", "pos"), ("good, and great", "pos"),
        ("great news", "pos"), ("it is good", "pos"), ("bad bad film", "neg"),
        ("not good, bad", "neg"), ("a bad movie", "neg"), ("bad news", "neg"),
        ("it was bad", "neg")]

# Runs the CLI; KILL_ON_WRITE=n SIGKILLs it while writing its n-th backup.
CLI = textwrap.dedent("""
    import os, signal, sys
    from kerasft.cli import main
    from kerasft.training import backup_file

    commit, writes = backup_file._commit, []

    def killing_commit(tmp, path):
        writes.append(path)
        if len(writes) == int(os.environ.get("KILL_ON_WRITE", "0")):
            os.kill(os.getpid(), signal.SIGKILL)
        commit(tmp, path)

    backup_file._commit = killing_commit
    sys.exit(main(sys.argv[1:]))
""")


def write_config(root, epochs=3):
    train = root / "train.csv"
    train.write_text("text,label\n" + "".join(f'"{t}",{lab}\n' for t, lab in ROWS * 4))
    config = root / "toy.yaml"
    config.write_text(
        "backbone: tiny-bert\nsequence_length: 32\n"
        f"output_dir: {root / 'runs'}\n"
        f"data:\n  train: {train}\n  test_split: 0.25\n  validation_split: 0.25\n"
        f"training:\n  epochs: {epochs}\n  batch_size: 4\n  learning_rate: 3e-3\n"
    )
    return str(config)


def test_non_finite_loss_exits_2_with_the_message(tmp_path, capsys):
    config = write_config(tmp_path)
    code = main(["train", "--config", config, "--name", "nan",
                 "--set", "training.learning_rate=1e6"])
    assert code == 2
    err = capsys.readouterr().err
    assert "kerasft train: error: Expected a finite training loss" in err
    assert "at epoch" in err and "lower learning rate" in err
    assert not (tmp_path / "runs" / "nan").exists()


def test_killed_run_resumes_when_rerun(tmp_path):
    config = write_config(tmp_path)
    script = tmp_path / "cli.py"
    script.write_text(CLI)
    command = [sys.executable, str(script), "train", "--config", config, "--name", "toy"]
    env = {**os.environ, "PYTHONPATH": ROOT, "TF_CPP_MIN_LOG_LEVEL": "3"}
    killed = subprocess.run(command, capture_output=True, text=True, timeout=600,
                            env={**env, "KILL_ON_WRITE": "3"})
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]
    rerun = subprocess.run(command, capture_output=True, text=True, timeout=600, env=env)
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    assert "Resuming run toy from epoch" in rerun.stdout
    assert (tmp_path / "runs" / "toy" / "model" / "model.weights.h5").is_file()
