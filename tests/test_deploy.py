"""The deployment files in deploy/ agree with the code: settings, knowledge files, probes, unit."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from importlib import metadata
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from bot.engine.loader import KNOWLEDGE_FILES
from bot.settings import SETTINGS

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
KUBE = DEPLOY / "kubernetes"
KNOWLEDGE = ROOT / "knowledge"

ENV_NAME = re.compile(r"\b(?:STORYBOT_[A-Z0-9_]*[A-Z0-9]|TELEGRAM_BOT_TOKEN)\b")
# Variables the deployment files use that storybot itself never reads. Keep this list short and
# say who reads each one; anything else named STORYBOT_* must be a real setting.
DEPLOY_ONLY = {
    "STORYBOT_DOMAIN",  # compose.yaml + Caddyfile: the public host name Caddy gets a cert for
}
SETTING_NAMES = {setting.env for setting in SETTINGS}


def deploy_files() -> list[Path]:
    return sorted(path for path in DEPLOY.rglob("*") if path.is_file())


def yaml_files() -> list[Path]:
    return [path for path in deploy_files() if path.suffix in (".yaml", ".yml")]


def kube_objects() -> dict[str, dict]:
    """kind -> object, over every manifest the kustomization lists."""
    kustomization = yaml.safe_load((KUBE / "kustomization.yaml").read_text(encoding="utf-8"))
    objects: dict[str, dict] = {}
    for name in kustomization["resources"]:
        for doc in yaml.safe_load_all((KUBE / name).read_text(encoding="utf-8")):
            assert doc["kind"] not in objects, f"two {doc['kind']} objects"
            objects[doc["kind"]] = doc
    return objects


def container(objects: dict[str, dict]) -> dict:
    (main,) = objects["Deployment"]["spec"]["template"]["spec"]["containers"]
    return main


def test_deploy_folder_has_the_expected_files():
    expected = {
        "Dockerfile",
        "Dockerfile.dockerignore",
        "compose.yaml",
        "Caddyfile",
        "storybot.service",
        "storybot.env.example",
        "README.md",
        "kubernetes/kustomization.yaml",
        "kubernetes/deployment.yaml",
        "kubernetes/service.yaml",
        "kubernetes/ingress.yaml",
        "kubernetes/pdb.yaml",
        "kubernetes/secret.example.yaml",
        "constraints.txt",
        "constraints.sh",
    }
    present = {path.relative_to(DEPLOY).as_posix() for path in deploy_files()}
    assert expected <= present, f"missing: {sorted(expected - present)}"


# --- (a) settings ---------------------------------------------------------------------------


@pytest.mark.parametrize("path", deploy_files(), ids=lambda p: p.relative_to(DEPLOY).as_posix())
def test_every_variable_in_deploy_files_is_a_setting(path: Path):
    names = set(ENV_NAME.findall(path.read_text(encoding="utf-8")))
    unknown = names - SETTING_NAMES - DEPLOY_ONLY
    assert not unknown, f"{path.name} names variables bot/settings.py doesn't know: {unknown}"


def test_deploy_only_allow_list_is_still_needed():
    used = set()
    for path in deploy_files():
        used |= set(ENV_NAME.findall(path.read_text(encoding="utf-8")))
    assert used >= DEPLOY_ONLY, f"unused allow-list entries: {DEPLOY_ONLY - used}"
    assert not DEPLOY_ONLY & SETTING_NAMES, "a real setting doesn't belong in DEPLOY_ONLY"


def test_readme_documents_every_setting_with_its_default():
    readme = (DEPLOY / "README.md").read_text(encoding="utf-8")
    for setting in SETTINGS:
        assert f"`{setting.env}`" in readme, f"{setting.env} is not in deploy/README.md"
        if setting.default:
            row = f"| `{setting.env}` | `{setting.default}` |"
            assert row in readme, f"README: {setting.env} should default to {setting.default}"


def test_env_example_lists_every_setting():
    example = (DEPLOY / "storybot.env.example").read_text(encoding="utf-8")
    listed = set(re.findall(r"^#?([A-Z][A-Z0-9_]*)=", example, flags=re.MULTILINE))
    assert listed >= SETTING_NAMES, f"missing: {sorted(SETTING_NAMES - listed)}"


# --- (b) systemd ----------------------------------------------------------------------------


def test_systemd_unit_verifies(tmp_path: Path):
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed (Debian: apt-get install systemd)")
    unit = (DEPLOY / "storybot.service").read_text(encoding="utf-8")
    assert "ExecStart=/opt/storybot/venv/bin/storybot run\n" in unit
    # /opt/storybot/venv doesn't exist here: point ExecStart at a binary that does, verify the rest.
    here = Path(sys.executable).with_name("storybot")
    binary = here if here.is_file() else Path("/bin/true")
    copy = tmp_path / "storybot.service"
    copy.write_text(unit.replace("/opt/storybot/venv/bin/storybot", str(binary)), encoding="utf-8")
    result = subprocess.run(
        [analyze, "verify", str(copy)], capture_output=True, text=True, timeout=60, check=False
    )
    # verify exits 0 even for unknown keys or bad values; those are printed, naming the file.
    complaints = [line for line in (result.stdout + result.stderr).splitlines() if line.strip()]
    assert result.returncode == 0 and not complaints, "\n".join(complaints)


def test_systemd_unit_has_the_essentials():
    unit = (DEPLOY / "storybot.service").read_text(encoding="utf-8")
    for line in (
        "DynamicUser=yes",
        "StateDirectory=storybot",
        "Environment=STORYBOT_DATA_DIR=/var/lib/storybot",
        "EnvironmentFile=/etc/storybot/storybot.env",
        "ExecReload=/bin/kill -HUP $MAINPID",
        "KillSignal=SIGTERM",
        "Restart=on-failure",
        "ProtectSystem=strict",
        "NoNewPrivileges=yes",
        "CapabilityBoundingSet=",
        "SystemCallFilter=@system-service",
    ):
        assert f"\n{line}\n" in unit, line


# --- (c) YAML and Kubernetes ----------------------------------------------------------------


@pytest.mark.parametrize("path", yaml_files(), ids=lambda p: p.relative_to(DEPLOY).as_posix())
def test_yaml_parses(path: Path):
    docs = list(yaml.safe_load_all(path.read_text(encoding="utf-8")))
    assert docs and all(isinstance(doc, dict) for doc in docs)


def test_kubernetes_objects():
    objects = kube_objects()
    assert set(objects) == {
        "Deployment",
        "Service",
        "Ingress",
        "PodDisruptionBudget",
    }
    deployment = objects["Deployment"]
    assert deployment["spec"]["replicas"] == 2
    assert objects["PodDisruptionBudget"]["spec"]["minAvailable"] == 1
    main = container(objects)
    assert main["args"][0] == "webhook"
    for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
        assert main[probe]["httpGet"]["path"] == "/healthz", probe
    pod_security = deployment["spec"]["template"]["spec"]["securityContext"]
    assert pod_security["runAsNonRoot"] is True
    assert pod_security["seccompProfile"]["type"] == "RuntimeDefault"
    security = main["securityContext"]
    assert security["readOnlyRootFilesystem"] is True
    assert security["allowPrivilegeEscalation"] is False
    assert security["capabilities"]["drop"] == ["ALL"]
    assert main["resources"]["requests"] and main["resources"]["limits"]
    env = {item["name"]: item for item in main["env"]}
    for name in ("TELEGRAM_BOT_TOKEN", "STORYBOT_WEBHOOK_SECRET", "STORYBOT_DATABASE_URL"):
        assert env[name]["valueFrom"]["secretKeyRef"]["name"] == "storybot", name
    assert env["STORYBOT_WATCH_KNOWLEDGE"]["value"] == "on"
    assert env["STORYBOT_KNOWLEDGE"]["value"] == "/knowledge"
    mounts = {mount["mountPath"]: mount for mount in main["volumeMounts"]}
    assert mounts["/knowledge"]["readOnly"] is True
    assert "/data" in mounts


def test_ingress_exposes_only_the_webhook_path():
    objects = kube_objects()
    env = {item["name"]: item.get("value") for item in container(objects)["env"]}
    webhook_path = "/" + env["STORYBOT_WEBHOOK_PATH"]
    ingress = objects["Ingress"]["spec"]
    assert ingress["tls"], "the Ingress must terminate TLS"
    paths = [path for rule in ingress["rules"] for path in rule["http"]["paths"]]
    assert [(p["path"], p["pathType"]) for p in paths] == [(webhook_path, "Exact")]
    assert env["STORYBOT_WEBHOOK_URL"].endswith(webhook_path)


def test_secret_example_holds_what_the_deployment_reads():
    (secret,) = yaml.safe_load_all((KUBE / "secret.example.yaml").read_text(encoding="utf-8"))
    keys = {
        item["valueFrom"]["secretKeyRef"]["key"]
        for item in container(kube_objects())["env"]
        if "valueFrom" in item
    }
    assert keys <= set(secret["stringData"])


def test_compose_services():
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))
    services = compose["services"]
    assert services["bot"]["command"][0] == "run" and "profiles" not in services["bot"]
    assert services["webhook"]["profiles"] == ["webhook"]
    assert services["caddy"]["profiles"] == ["webhook"]
    for name in ("bot", "webhook"):
        service = services[name]
        assert service["env_file"] == ".env"
        assert "../knowledge:/knowledge:ro" in service["volumes"]
        assert service["environment"]["STORYBOT_WATCH_KNOWLEDGE"] == "on"
        assert service["restart"] == "unless-stopped" and service["stop_grace_period"]
        assert "ports" not in service, "the bot itself is never published; Caddy is"


def test_caddy_does_not_proxy_metrics():
    caddyfile = (DEPLOY / "Caddyfile").read_text(encoding="utf-8")
    routes = re.sub(r"#.*", "", caddyfile)
    assert "/metrics" not in routes and "/status" not in routes
    assert "respond 404" in caddyfile


def test_compose_passes_the_token_as_a_secret_file_not_an_environment_variable():
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))
    assert compose["secrets"]["telegram_bot_token"] == {"file": "./secrets/telegram_bot_token"}
    for name in ("bot", "webhook"):
        service = compose["services"][name]
        assert service["secrets"] == ["telegram_bot_token"], name
        command = service["command"]
        flag = command.index("--token-file")
        assert command[flag + 1] == "/run/secrets/telegram_bot_token", name
        assert "TELEGRAM_BOT_TOKEN" not in service["environment"], name
    ignored = (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert "deploy/secrets/" in ignored, "the token file must never be committed"


DIGEST = re.compile(r"@sha256:[0-9a-f]{64}$")


def test_base_images_are_pinned_by_digest():
    dockerfile = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    arguments = dict(re.findall(r"^ARG (\w+)=(\S+)$", dockerfile, flags=re.MULTILINE))
    for image in re.findall(r"^FROM\s+(\S+)", dockerfile, flags=re.MULTILINE):
        if image in {"builder", "runtime"}:
            continue
        image = arguments.get(image.strip("${}"), image)
        assert DIGEST.search(image), f"Dockerfile: {image} is not pinned by digest"
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))
    for name, service in compose["services"].items():
        if "build" in service:
            continue  # built from the Dockerfile above
        assert DIGEST.search(service["image"]), f"compose {name}: {service['image']}"


def runtime_requirements() -> dict[str, Requirement]:
    """Every package storybot[postgres] needs at run time here, by name (the closure)."""
    pending = [Requirement(f"storybot[postgres]=={metadata.version('storybot')}")]
    found: dict[str, Requirement] = {}
    while pending:
        requirement = pending.pop()
        name = canonicalize_name(requirement.name)
        if name in found:
            continue
        found[name] = requirement
        for text in metadata.requires(requirement.name) or []:
            needed = Requirement(text)
            extras = requirement.extras or {""}
            if needed.marker is None or any(needed.marker.evaluate({"extra": e}) for e in extras):
                pending.append(needed)
    del found["storybot"]
    return found


def test_image_build_is_pinned_by_the_constraints_file():
    dockerfile = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    builder = re.split(r"^FROM\s", dockerfile, flags=re.MULTILINE)[1]
    assert "COPY deploy/constraints.txt ./" in builder
    assert "PIP_CONSTRAINT=/src/constraints.txt" in builder
    lines = (DEPLOY / "constraints.txt").read_text(encoding="utf-8").splitlines()
    pins = {}
    for line in lines:
        if line and not line.startswith("#"):
            name, _, version = line.partition("==")
            assert version and re.fullmatch(r"[\w.+!-]+", version), line
            pins[canonicalize_name(name)] = version
    assert "hatchling" in pins, "the build backend is pinned too"
    for name, requirement in runtime_requirements().items():
        assert name in pins, f"deploy/constraints.txt has no pin for {name}: run constraints.sh"
        assert requirement.specifier.contains(pins[name], prereleases=True), (
            f"{name}=={pins[name]} does not satisfy {requirement}"
        )


def readme_shell_blocks(marker: str) -> list[str]:
    """The ```sh blocks of deploy/README.md that contain ``marker``, in order."""
    readme = (DEPLOY / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"^ *```sh\n(.*?)^ *```", readme, flags=re.MULTILINE | re.DOTALL)
    return [textwrap.dedent(block) for block in blocks if marker in block]


FAKE_PYTHON = """#!/bin/sh
# Stands in for `python3 -m venv DIR`: a venv whose pip and storybot only record their calls.
[ "$1" = -m ] && [ "$2" = venv ] || exit 64
mkdir -p "$3/bin"
for tool in pip storybot; do
    printf '#!/bin/sh\\necho "$0 $*" >> "$CALLS"\\n' > "$3/bin/$tool"
    chmod +x "$3/bin/$tool"
done
"""


@pytest.mark.skipif(shutil.which("sh") is None, reason="needs a POSIX shell")
def test_systemd_install_upgrade_and_rollback_steps_work(tmp_path: Path):
    """The README's own commands, run in a scratch root with python3 -m venv and systemctl
    stubbed: the live venv is a symlink the upgrade and the rollback switch atomically."""
    install, upgrade, rollback = readme_shell_blocks("/opt/storybot/venv")
    root = tmp_path / "root"
    stubs = tmp_path / "bin"
    stubs.mkdir()
    (stubs / "python3").write_text(FAKE_PYTHON, encoding="utf-8")
    (stubs / "systemctl").write_text('#!/bin/sh\necho "systemctl $*" >> "$CALLS"\n')
    for stub in stubs.iterdir():
        stub.chmod(0o755)
    calls = tmp_path / "calls"
    env = {**os.environ, "PATH": f"{stubs}:{os.environ['PATH']}", "CALLS": str(calls),
           "EDITOR": "true"}  # fmt: skip

    def run(block: str) -> None:
        for path in ("/opt/storybot", "/etc/storybot", "/etc/systemd", "/usr/share/doc"):
            block = block.replace(path, f"{root}{path}")
        script = "set -eu\n" + block.replace("/path/to/", "")
        result = subprocess.run(
            ["sh", "-c", script], cwd=ROOT, env=env, capture_output=True, text=True,
            timeout=60, check=False,
        )  # fmt: skip
        assert result.returncode == 0, f"{block}\n{result.stderr}"

    live = root / "opt/storybot/venv"
    (root / "etc/systemd/system").mkdir(parents=True)
    run(install)
    assert live.is_symlink() and live.resolve() == root / "opt/storybot/venv-0.1.0"
    unit = (DEPLOY / "storybot.service").read_text(encoding="utf-8")
    (documentation,) = re.findall(r"^Documentation=file://(\S+)$", unit, flags=re.MULTILINE)
    assert (root / documentation.lstrip("/")).is_file(), "Documentation= names a missing file"
    run(upgrade)
    assert live.is_symlink() and live.resolve() == root / "opt/storybot/venv-0.2.0"
    assert f"{root}/opt/storybot/venv-0.2.0/bin/storybot check" in calls.read_text()
    run(rollback)
    assert live.resolve() == root / "opt/storybot/venv-0.1.0"
    assert calls.read_text().count("systemctl restart storybot") == 2


# --- (d) Dockerfile -------------------------------------------------------------------------


def test_dockerfile_runtime_stage():
    dockerfile = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    stages = re.split(r"^FROM\s", dockerfile, flags=re.MULTILINE)
    assert len(stages) >= 3, "multi-stage: a builder and a runtime stage"
    final = stages[-1]
    users = re.findall(r"^USER\s+(\S+)", final, flags=re.MULTILINE)
    assert users and users[-1].split(":")[0] not in ("root", "0"), "runs as root"
    assert re.search(r"^HEALTHCHECK\s.*storybot.*health", final, flags=re.MULTILINE | re.DOTALL)
    assert re.search(r"^STOPSIGNAL\s+SIGTERM$", final, flags=re.MULTILINE)
    assert re.search(r'^ENTRYPOINT \["storybot"\]$', final, flags=re.MULTILINE)
    assert re.search(r'^CMD \["run"\]$', final, flags=re.MULTILINE)
    assert "STORYBOT_DATA_DIR=/data" in final and re.search(r"^VOLUME", final, flags=re.M)
    assert "storybot[postgres]" in final


def test_dockerignore_lets_the_build_inputs_through():
    ignore = (DEPLOY / "Dockerfile.dockerignore").read_text(encoding="utf-8").splitlines()
    dockerfile = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    copied = re.findall(r"^COPY\s+(?!--from)(.+)\s+\S+$", dockerfile, flags=re.MULTILINE)
    for source in (word for line in copied for word in line.split()):
        assert f"!{source.rstrip('/')}" in {line.rstrip("/") for line in ignore}, source


# --- (e) the knowledge ConfigMap ------------------------------------------------------------


def needed_knowledge_files() -> set[str]:
    """Every file the loader reads, relative to the knowledge directory."""
    sources = yaml.safe_load((KNOWLEDGE / "sources.yaml").read_text(encoding="utf-8"))
    return set(KNOWLEDGE_FILES) | {source["file"] for source in sources["sources"]}


def generated_knowledge() -> dict[str, Path]:
    """ConfigMap key -> file, from the configMapGenerator in kustomization.yaml."""
    kustomization = yaml.safe_load((KUBE / "kustomization.yaml").read_text(encoding="utf-8"))
    (generator,) = [
        g for g in kustomization["configMapGenerator"] if g["name"] == "storybot-knowledge"
    ]
    files = {}
    for entry in generator["files"]:
        key, _, path = entry.partition("=")
        files[key] = (KUBE / path).resolve()
    return files


def test_configmap_generator_lists_every_knowledge_file():
    generated = generated_knowledge()
    for key, path in generated.items():
        assert path.is_file(), f"{key}: {path} doesn't exist"
        assert re.fullmatch(r"[-._a-zA-Z0-9]+", key), f"{key} isn't a valid ConfigMap key"
    files = {path.relative_to(KNOWLEDGE).as_posix() for path in generated.values()}
    missing = needed_knowledge_files() - files
    assert not missing, f"add to configMapGenerator in kustomization.yaml: {sorted(missing)}"


def test_deployment_mounts_every_knowledge_file_at_its_path():
    generated = generated_knowledge()
    (volume,) = [
        v
        for v in kube_objects()["Deployment"]["spec"]["template"]["spec"]["volumes"]
        if v["name"] == "knowledge"
    ]
    assert volume["configMap"]["name"] == "storybot-knowledge"
    items = {item["key"]: item["path"] for item in volume["configMap"]["items"]}
    for key, path in items.items():
        assert key in generated, f"deployment.yaml mounts key {key} that isn't generated"
        assert generated[key] == (KNOWLEDGE / path).resolve(), f"{key} is mounted at {path}"
    missing = needed_knowledge_files() - set(items.values())
    assert not missing, f"add to the knowledge volume's items in deployment.yaml: {missing}"


def test_knowledge_configmap_size_and_server_side_apply():
    """Client-side apply copies the ConfigMap into an annotation capped at 256 KiB: the README
    states today's size and applies server-side, where the limit is the object's 1 MiB."""
    data = {key: path.read_text(encoding="utf-8") for key, path in generated_knowledge().items()}
    size = len(json.dumps({"data": data}).encode())
    assert size < 900 * 1024, "the knowledge no longer fits a ConfigMap: see deploy/README.md"
    readme = (DEPLOY / "README.md").read_text(encoding="utf-8")
    (stated,) = re.findall(r"ConfigMap is about (\d+) KB today", readme)
    assert abs(int(stated) * 1000 - size) < 0.1 * size, f"README says {stated} KB, it is {size} B"
    for text in (readme, (KUBE / "kustomization.yaml").read_text(encoding="utf-8")):
        applies = re.findall(r"kubectl apply[^`\n]*", text)
        piped = [line for line in applies if "-f -" in line]
        assert piped and all("--server-side" in line for line in piped), piped


def test_kustomize_build_renders(tmp_path: Path):
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl is not installed")
    result = subprocess.run(
        [kubectl, "kustomize", "--load-restrictor=LoadRestrictionsNone", str(KUBE)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    docs = {doc["kind"]: doc for doc in yaml.safe_load_all(result.stdout)}
    configmap = docs["ConfigMap"]
    assert configmap["metadata"]["name"] == "storybot-knowledge"
    for key, path in generated_knowledge().items():
        assert configmap["data"][key] == path.read_text(encoding="utf-8"), key
    image = container({"Deployment": docs["Deployment"]})["image"]
    assert image != "storybot", "kustomization images: should set the image"
