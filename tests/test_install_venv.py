"""scripts/install_venv.py (`make install`): uv gets exactly the indexes, constraints and certificate pip
is configured with, a pip setting uv cannot honour sends the install to pip, and pip is the fallback."""
from __future__ import annotations

import importlib.util
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("install_venv", REPO / "scripts" / "install_venv.py")
install_venv = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(install_venv)

# `pip config list` on the project's CPU machines (pip.conf, /etc/xdg/pip/pip.conf and PIP_* variables).
THIS_MACHINE = """\
:env:.cert='/etc/ssl/certs/ca-certificates.crt'
:env:.default-timeout='180'
:env:.disable-pip-version-check='1'
:env:.find-links='/opt/wheels'
global.cert='/etc/ssl/certs/ca-certificates.crt'
global.constraint='/etc/xdg/pip/constraints.txt'
global.extra-index-url='file:///opt/pypi/simple file:///opt/pypi-more/simple'
global.find-links='/opt/wheels'
"""


def test_pip_settings_of_this_machine_become_uv_flags_and_environment():
    flags, env = install_venv.uv_arguments(install_venv.pip_settings(THIS_MACHINE))
    assert flags == ["--constraint", "/etc/xdg/pip/constraints.txt",
                     "--extra-index-url", "file:///opt/pypi/simple", "--extra-index-url", "file:///opt/pypi-more/simple",
                     "--find-links", "/opt/wheels", "--index-strategy", "unsafe-best-match"]
    assert env == {"SSL_CERT_FILE": "/etc/ssl/certs/ca-certificates.crt", "UV_HTTP_TIMEOUT": "180"}


def test_a_variable_overrides_the_install_section_which_overrides_global():
    listed = "global.index-url='https://a/simple'\ninstall.index-url='https://b/simple'\n"
    assert install_venv.pip_settings(listed) == {"index-url": "https://b/simple"}
    assert install_venv.pip_settings(listed + ":env:.index-url='https://c/simple'\n") == {"index-url": "https://c/simple"}
    # Another command's section is not what `pip install` reads.
    assert install_venv.pip_settings("download.index-url='https://d/simple'\n") == {}


def test_switches_and_hosts():
    flags, _ = install_venv.uv_arguments({"no-index": "true", "pre": "false", "trusted-host": "a.example b.example"})
    assert flags == ["--no-index", "--allow-insecure-host", "a.example", "--allow-insecure-host", "b.example",
                     "--index-strategy", "unsafe-best-match"]


def test_a_setting_uv_has_no_equivalent_for_is_named_not_dropped():
    with pytest.raises(install_venv.NotForUv, match="no-binary, require-hashes"):
        install_venv.uv_arguments({"no-binary": ":all:", "require-hashes": "1", "find-links": "/w"})


def test_an_unreadable_line_is_an_error():
    with pytest.raises(ValueError, match="unreadable line"):
        install_venv.pip_settings("no equals sign here\n")


def test_uv_failing_falls_back_to_pip_and_says_why(tmp_path, monkeypatch, capsys):
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "python").write_text("")  # the venv exists: nothing is created
    ran: list[list[str]] = []

    def fake_run(cmd, env=None):
        ran.append(cmd)
        if cmd[-1] == "uv":  # `pip install uv` fails, as without a registry that has it
            raise subprocess.CalledProcessError(1, cmd)

    monkeypatch.setattr(install_venv, "_run", fake_run)
    assert install_venv.main([str(venv)]) == 0
    assert "pip could not install uv (exit 1); installing with pip instead" in capsys.readouterr().err
    python = str(venv / "bin" / "python")
    assert ran[1:] == [[python, "-m", "pip", "install", "-q", "--upgrade", "pip"],
                       [python, "-m", "pip", "install", "-q", *install_venv.TORCH],
                       [python, "-m", "pip", "install", "-q", *install_venv.PACKAGE]]


def test_installer_pip_never_tries_uv(tmp_path, monkeypatch):
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "python").write_text("")
    ran: list[list[str]] = []
    monkeypatch.setattr(install_venv, "_run", lambda cmd, env=None: ran.append(cmd))
    install_venv.main([str(venv), "--installer", "pip"])
    assert not [cmd for cmd in ran if "uv" in cmd or cmd[0].endswith("/uv")]


def test_uv_installs_everything_at_once_with_pips_settings_and_bytecode(tmp_path, monkeypatch):
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "python").write_text("")
    ran: list[tuple[list[str], dict | None]] = []
    monkeypatch.setattr(install_venv, "_run", lambda cmd, env=None: ran.append((cmd, env)))
    monkeypatch.setattr(install_venv.subprocess, "run",
                        lambda cmd, **kw: subprocess.CompletedProcess(cmd, 0, THIS_MACHINE, ""))
    assert install_venv.main([str(venv)]) == 0
    python = str(venv / "bin" / "python")
    (pip_uv, _), (uv, env) = ran
    assert pip_uv == [python, "-m", "pip", "install", "-q", "uv"]
    assert uv[:3] == [str(venv / "bin" / "uv"), "pip", "install"]
    # Where PYTHONDONTWRITEBYTECODE is set nothing else would write torch's bytecode: every import
    # would compile it again (pip compiles at install; uv only when asked).
    assert "--compile-bytecode" in uv and "--constraint" in uv and uv[-4:] == [*install_venv.TORCH, *install_venv.PACKAGE]
    assert env["SSL_CERT_FILE"] == "/etc/ssl/certs/ca-certificates.crt"
