import subprocess
import sys

import imgrepl


def test_version_matches_package() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "imgrepl", "--version"], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == imgrepl.__version__


def test_help_imports_nothing_heavy() -> None:
    # `imgrepl --help` must start fast: registering subcommands may not pull in
    # the extension, numpy, rich or sqlite.  (Its time is measured in benches/.)
    code = (
        "import sys, contextlib, io\n"
        "from imgrepl.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):\n"
        "    main(['--help'])\n"
        "heavy = [m for m in ('numpy', 'rich', 'imgrepl._core', 'sqlite3', 'asyncio', 'jmespath',"
        " 'yaml', 'argcomplete', 'configparser', 'logging', 'json',"
        " 'imgrepl.cli.sig', 'imgrepl.cli.region', 'imgrepl.cli.copy')"  # nor builds the commands
        " if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"--help imported {out.stdout.strip()}"
