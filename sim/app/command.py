"""``massengage app [SCENARIO]``: serve the classroom app (:mod:`sim.app.page`) in the browser.

The page's JavaScript and CSS (Solara's Vue 3 app bundle, require.js, Font Awesome, ECharts)
normally come from a public CDN. Solara serves them from its local cache folder
``<venv>/share/solara/cdn/<package>@<version>/`` when they are there, and PyPI's
``solara-assets`` stops at 1.58.2 (Solara 1.64 needs newer bundles). So the app installs them
itself, once, from the npm registry: ``npm pack <package>@<version>`` (npm checks each
tarball's integrity) unpacked into that folder. The list is read from Solara's own page
template and ECharts component, so it follows Solara's version. ``massengage app
--install-assets`` does only that (for set-up scripts); ``massengage app`` does it on first
use, and says plainly what to do when npm or the registry cannot be reached.

Nothing in here imports Solara at import time: ``massengage --help`` stays fast.
"""

from __future__ import annotations

import argparse
import errno
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from sim.app.lessons import (
    DEFAULT_SCENARIO,
    AppError,
    classroom_names,
    resolve_scenario,
    set_scenario_env,
)
from sim.commandline import add_overrides_argument
from sim.model.scenario import ScenarioError, load_scenario

__all__ = [
    "AssetsError",
    "add_command",
    "assets_dir",
    "install_assets",
    "missing_assets",
    "required_assets",
    "serve",
]

DEFAULT_PORT = 8765
DEFAULT_HOST = "127.0.0.1"
_COMPLETE = ".massengage-complete"


class AssetsError(RuntimeError):
    """The page's assets are missing and could not be installed."""


# ------------------------------------------------------------------------------------------------
# Page assets.


def assets_dir() -> Path:
    """Solara's local CDN cache, which its server reads before going to the network."""
    from solara.server import settings

    return Path(settings.assets.proxy_cache_dir)


def required_assets() -> list[tuple[str, str]]:
    """``(npm package, version)`` pairs the page loads, read from Solara's own files."""
    import ipyvue
    import solara
    from solara.server import settings

    root = Path(solara.__file__).parent
    template = (root / "server" / "templates" / "solara.html.j2").read_text(encoding="utf-8")
    vue3 = ipyvue.__version__.startswith("3")
    found: list[tuple[str, str]] = []
    for package, version in re.findall(
        r"\{\{\s*cdn\s*\}\}/((?:@[\w.-]+/)?[\w.-]+?)@([\w.-]+)/", template
    ):
        is_vue3_bundle = package.endswith("solara-vuetify3-app")
        is_vue2_bundle = package.endswith("solara-vuetify-app")
        if (is_vue3_bundle and not vue3) or (is_vue2_bundle and vue3):
            continue
        found.append((package, version))
    fontawesome = re.match(
        r"/?((?:@[\w.-]+/)?[\w.-]+?)@([\w.-]+)/", settings.assets.fontawesome_path
    )
    if fontawesome:
        found.append((fontawesome.group(1), fontawesome.group(2)))
    echarts = (root / "components" / "echarts.vue").read_text(encoding="utf-8")
    version = re.search(r'const version = "([\w.-]+)"', echarts)
    if version:
        found.append(("echarts", version.group(1)))
    return sorted(set(found))


def missing_assets(folder: Path | None = None) -> list[tuple[str, str]]:
    folder = assets_dir() if folder is None else folder
    return [
        (package, version)
        for package, version in required_assets()
        if not (folder / f"{package}@{version}" / _COMPLETE).is_file()
    ]


def install_assets(folder: Path | None = None, *, quiet: bool = False) -> list[str]:
    """Install the missing page assets from the npm registry; returns what was installed.

    Each package is fetched with ``npm pack`` (which checks the tarball's integrity), unpacked
    into a temporary folder beside the target and renamed into place, so a failure leaves
    nothing half-installed. Raises :class:`AssetsError` with one line saying what to do.
    """
    folder = assets_dir() if folder is None else folder
    todo = missing_assets(folder)
    if not todo:
        return []
    npm = shutil.which("npm")
    if npm is None:
        raise AssetsError(
            "the app's page assets are not installed and npm is not on PATH; install Node.js "
            "and npm (e.g. apt-get install -y npm) and run: massengage app --install-assets"
        )
    folder.mkdir(parents=True, exist_ok=True)
    installed = []
    with tempfile.TemporaryDirectory(prefix="massengage-assets-") as tmp:
        for package, version in todo:
            spec = f"{package}@{version}"
            if not quiet:
                print(f"massengage app: installing page asset {spec} (npm pack)", file=sys.stderr)
            try:
                done = subprocess.run(
                    [npm, "pack", spec, "--json", "--pack-destination", tmp],
                    capture_output=True,
                    text=True,
                    timeout=600,
                    check=False,
                )
            except subprocess.TimeoutExpired:
                raise AssetsError(
                    f"npm pack {spec} timed out; is the npm registry reachable? "
                    "Then run: massengage app --install-assets"
                ) from None
            if done.returncode != 0:
                reason = _last_error_line(done.stderr) or f"exit code {done.returncode}"
                raise AssetsError(
                    f"npm pack {spec} failed ({reason}); the page needs it. Check that the npm "
                    "registry is reachable, then run: massengage app --install-assets"
                )
            tarball = Path(tmp) / json.loads(done.stdout)[0]["filename"]
            _unpack(tarball, folder / spec)
            installed.append(spec)
    return installed


def _last_error_line(stderr: str) -> str:
    lines = [
        line.strip()
        for line in stderr.splitlines()
        if line.strip() and "npm warn" not in line.lower()
    ]
    return lines[-1] if lines else ""


def _unpack(tarball: Path, target: Path) -> None:
    """Unpack an npm tarball's ``package/`` folder as ``target``, atomically."""
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".unpack-", dir=target.parent))
    try:
        with tarfile.open(tarball, "r:gz") as archive:
            archive.extractall(staging, filter="data")
        unpacked = staging / "package"
        if not unpacked.is_dir():
            entries = [p for p in staging.iterdir() if p.is_dir()]
            if len(entries) != 1:
                raise AssetsError(f"{tarball.name}: unexpected layout, no package/ folder")
            unpacked = entries[0]
        (unpacked / _COMPLETE).write_text("installed by massengage app\n", encoding="utf-8")
        if target.exists():
            shutil.rmtree(target)
        unpacked.rename(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


# ------------------------------------------------------------------------------------------------
# The server.


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on ``host:port``, or :class:`AppError` saying why not."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise AppError(f"--host {host}: cannot resolve ({exc.strerror})") from None
    family, _, _, _, address = infos[0]
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(128)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise AppError(
                f"--port {port}: port {port} on {host} is already in use; "
                "stop what runs there or choose another with --port"
            ) from None
        raise AppError(f"--host {host} --port {port}: cannot listen ({exc.strerror})") from None
    return sock


CULL_TIMEOUT = "2m"


def cull_timeout() -> str:
    """How long a disconnected session lives: ``SOLARA_KERNEL_CULL_TIMEOUT``, else two minutes."""
    from solara.util import parse_timedelta

    value = os.environ.get("SOLARA_KERNEL_CULL_TIMEOUT") or CULL_TIMEOUT
    try:
        parse_timedelta(value)
    except Exception:
        raise AppError(f"SOLARA_KERNEL_CULL_TIMEOUT: not a duration: {value[:40]!r}") from None
    return value


def serve(scenario: Path, overrides: list[str], host: str, port: int, sock: socket.socket) -> None:
    """Run the Solara server for ``scenario`` on an already bound socket until interrupted."""
    set_scenario_env(scenario, overrides)
    os.environ["SOLARA_APP"] = "sim.app.page"
    os.environ.setdefault("SOLARA_TELEMETRY_MIXPANEL_ENABLE", "False")
    os.environ["SERVER_NAME"] = host
    os.environ["SERVER_PORT"] = str(port)
    import uvicorn
    from solara.server import settings

    settings.main.mode = "production"
    settings.telemetry.mixpanel_enable = False
    # A disconnected tab's session (its model and play loop) is freed after two minutes, not
    # Solara's 24 h. Solara read SOLARA_KERNEL_CULL_TIMEOUT when its settings were first
    # imported (install_assets imports them), so the setting is set where it is read.
    settings.kernel.cull_timeout = cull_timeout()
    # No "This website runs on Solara" banner over the plots.
    settings.theme.show_banner = False
    config = uvicorn.Config(
        "solara.server.starlette:app", host=host, port=port, log_level="warning", lifespan="on"
    )
    uvicorn.Server(config).run(sockets=[sock])


def cmd_app(args: argparse.Namespace) -> int:
    if args.screenshots is not None:
        from sim.app.screenshots import write_screenshots

        try:
            written = write_screenshots(Path(args.screenshots))
        except (TimeoutError, OSError) as exc:
            raise AppError(f"--screenshots: {exc}") from None
        for path in written:
            print(path)
        return 0
    if args.install_assets:
        try:
            installed = install_assets()
        except AssetsError as exc:
            print(f"massengage: error: {exc}", file=sys.stderr)
            return 1
        where = assets_dir()
        print(
            f"page assets installed in {where}: {', '.join(installed)}"
            if installed
            else f"page assets already installed in {where}"
        )
        return 0
    if not 0 <= args.port <= 65535:
        raise AppError(f"--port: must be between 0 and 65535, got {args.port}")
    path = resolve_scenario(args.scenario)
    scenario = load_scenario(path, args.overrides or None)
    from sim.app.session import ClassroomSession

    try:
        ClassroomSession(path, args.overrides)  # builds the world once: bad values fail here
    except ValueError as exc:
        if isinstance(exc, ScenarioError):
            raise
        raise AppError(f"{path}: {exc}") from None
    sock = bind(args.host, args.port)
    try:
        try:
            install_assets()
        except AssetsError as exc:
            print(f"massengage: error: {exc}", file=sys.stderr)
            return 1
        # The kernels compiled (once per installation, announced) or loaded now, not at the
        # first click.
        from sim.model.warmup import compile_first, prepare_engine

        def announce(notice: str) -> None:
            print(f"massengage app: {notice}", file=sys.stderr, flush=True)

        if not compile_first(announce):
            prepare_engine()
        port = sock.getsockname()[1]
        print(
            f"massengage app: {scenario.name} ({path}) at http://{args.host}:{port}/ "
            f"(classroom scenarios at /{', /'.join(classroom_names())}; Ctrl+C to stop)",
            flush=True,
        )
        serve(path, list(args.overrides), args.host, port, sock)
    finally:
        sock.close()
    return 0


def add_command(commands: argparse._SubParsersAction) -> None:
    """Add ``massengage app`` to the command line."""
    app = commands.add_parser(
        "app",
        help="open the classroom app in the browser",
        description="Serve the classroom app: watch avalanches on the network, press Spark, "
        "and change costs, thresholds and the institution's policy while the model runs. "
        f"Classroom scenarios by name: {', '.join(classroom_names())}.",
    )
    app.add_argument(
        "scenario",
        nargs="?",
        default=DEFAULT_SCENARIO,
        help=f"scenario YAML file or classroom scenario name (default: {DEFAULT_SCENARIO})",
    )
    app.add_argument("--port", type=int, default=DEFAULT_PORT, help="port (default: 8765)")
    app.add_argument("--host", default=DEFAULT_HOST, help="address (default: 127.0.0.1)")
    add_overrides_argument(
        app, "override a scenario key, e.g. --set population.size=300 (repeatable)"
    )
    app.add_argument(
        "--install-assets",
        action="store_true",
        help="only install the page's JavaScript/CSS assets from the npm registry, then exit",
    )
    app.add_argument(
        "--screenshots",
        metavar="DIR",
        help="save a 1280x720 screenshot of every lesson into DIR (e.g. docs/img), then exit; "
        "needs Playwright and /usr/bin/chromium",
    )
    app.set_defaults(handler=cmd_app)
