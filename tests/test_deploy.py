"""The deployment files in deploy/ agree with the code: settings, knowledge files, probes, unit."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

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
    assert services["bot"]["command"] == ["run"] and "profiles" not in services["bot"]
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
    assert "/metrics" not in re.sub(r"#.*", "", caddyfile)
    assert "respond 404" in caddyfile


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
