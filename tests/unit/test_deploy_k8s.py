"""deploy/k8s: every manifest is valid Kubernetes and the pieces refer to each other.

Each object is validated against the Kubernetes OpenAPI schemas shipped by the dev
dependency `kubernetes-validate` (strict: unknown fields fail), offline. The checks after
that are the ones a schema cannot make: selectors that match, probes on declared ports,
names of the ConfigMap and Secret, and configuration keys that Wayline actually reads.
"""

from __future__ import annotations

import copy
import shutil
import subprocess
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from core.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
KUBERNETES_VERSION = "1.30"
# Read by the telemetry modules (OpenTelemetry SDK, JSON logs, worker metrics server).
TELEMETRY_ENV = {
    "OTEL_EXPORTER_OTLP_ENDPOINT",
    "OTEL_SERVICE_NAME",
    "WAYLINE_LOG_FORMAT",
    "WAYLINE_WORKER_METRICS_PORT",
}
SETTINGS_ENV = {field.alias for field in Settings.model_fields.values() if field.alias}

Manifest = dict[str, Any]


def build(directory: Path) -> list[Manifest]:
    """The objects a kustomization lists, its sub-kustomizations included (no patches are
    used in deploy/k8s, so this is what `kubectl kustomize` emits, bar namespace and labels)."""
    kustomization = yaml.safe_load((directory / "kustomization.yaml").read_text())
    objects: list[Manifest] = []
    for entry in kustomization["resources"]:
        path = (directory / entry).resolve()
        if path.is_dir():
            objects += build(path)
        else:
            objects += [doc for doc in yaml.safe_load_all(path.read_text()) if doc]
    return objects


APP = build(K8S)
JOBS = build(K8S / "jobs")
SECRET = yaml.safe_load((K8S / "secret.example.yaml").read_text())
ALL = [*APP, *JOBS, SECRET]


def find(objects: list[Manifest], kind: str, name: str) -> Manifest:
    found = [o for o in objects if o["kind"] == kind and o["metadata"]["name"] == name]
    assert len(found) == 1, f"{kind}/{name}: {len(found)} found"
    return found[0]


def pod_specs(objects: list[Manifest]) -> list[tuple[str, Manifest]]:
    return [
        (o["metadata"]["name"], o["spec"]["template"]["spec"])
        for o in objects
        if o["kind"] in ("Deployment", "Job")
    ]


@pytest.mark.parametrize(
    "manifest", ALL, ids=lambda m: f"{m['kind']}-{m['metadata']['name']}".lower()
)
def test_manifest_is_valid_kubernetes(manifest: Manifest) -> None:
    kubernetes_validate.validate(manifest, KUBERNETES_VERSION, strict=True)


def test_validation_is_strict() -> None:
    """The schemas are really applied: a wrong type and an unknown field both fail."""
    deployment = copy.deepcopy(find(APP, "Deployment", "wayline-api"))
    deployment["spec"]["replicas"] = "two"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES_VERSION, strict=True)
    deployment = copy.deepcopy(find(APP, "Deployment", "wayline-api"))
    deployment["spec"]["template"]["spec"]["containers"][0]["readinesProbe"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES_VERSION, strict=True)


def test_every_manifest_file_is_used() -> None:
    listed = {
        (path.parent / entry).resolve()
        for path in K8S.rglob("kustomization.yaml")
        for entry in yaml.safe_load(path.read_text())["resources"]
    }
    files = {p.resolve() for p in K8S.rglob("*.yaml") if p.name != "kustomization.yaml"}
    assert files - listed == {(K8S / "secret.example.yaml").resolve()}


def test_the_app_and_the_jobs() -> None:
    kinds = sorted((o["kind"], o["metadata"]["name"]) for o in APP)
    assert kinds == [
        ("ConfigMap", "wayline-config"),
        ("Deployment", "wayline-api"),
        ("Deployment", "wayline-worker"),
        ("HorizontalPodAutoscaler", "wayline-worker"),
        ("PodDisruptionBudget", "wayline-api"),
        ("PodDisruptionBudget", "wayline-worker"),
        ("Service", "wayline-api"),
        ("ServiceAccount", "wayline"),
    ]
    migrate = find(JOBS, "Job", "wayline-migrate")["spec"]["template"]["spec"]
    setup = find(JOBS, "Job", "wayline-temporal-setup")["spec"]["template"]["spec"]
    assert migrate["containers"][0]["args"] == ["migrate"]
    assert setup["containers"][0]["args"] == ["temporal", "setup"]
    api = find(APP, "Deployment", "wayline-api")["spec"]["template"]["spec"]
    worker = find(APP, "Deployment", "wayline-worker")["spec"]["template"]["spec"]
    assert api["containers"][0]["args"] == ["api"]
    assert worker["containers"][0]["args"] == ["worker"]


def test_selectors_match_their_pods() -> None:
    for deployment in (o for o in APP if o["kind"] == "Deployment"):
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        assert deployment["spec"]["selector"]["matchLabels"].items() <= labels.items()
    api_labels = find(APP, "Deployment", "wayline-api")["spec"]["template"]["metadata"]["labels"]
    worker = find(APP, "Deployment", "wayline-worker")
    worker_labels = worker["spec"]["template"]["metadata"]["labels"]
    service = find(APP, "Service", "wayline-api")
    assert service["spec"]["selector"].items() <= api_labels.items()
    assert service["spec"]["selector"].items() > {("app.kubernetes.io/name", "wayline")}
    for name, labels in (("wayline-api", api_labels), ("wayline-worker", worker_labels)):
        pdb = find(APP, "PodDisruptionBudget", name)
        assert pdb["spec"]["selector"]["matchLabels"].items() <= labels.items()
    # A Service selector matching worker pods too would send HTTP to workers.
    assert not service["spec"]["selector"].items() <= worker_labels.items()
    hpa = find(APP, "HorizontalPodAutoscaler", "wayline-worker")
    assert hpa["spec"]["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": "wayline-worker",
    }
    assert "replicas" not in worker["spec"], "the HPA owns the worker count"
    assert hpa["spec"]["minReplicas"] >= 2
    assert {m["resource"]["name"] for m in hpa["spec"]["metrics"]} == {"cpu"}


def test_probes_ports_and_resources() -> None:
    config = find(APP, "ConfigMap", "wayline-config")["data"]
    for name, spec in pod_specs([*APP, *JOBS]):
        assert spec["securityContext"]["runAsNonRoot"] is True, name
        for container in spec["containers"]:
            assert container["image"] == "wayline", name
            resources = container["resources"]
            assert {"cpu", "memory"} <= resources["requests"].keys(), name
            assert {"cpu", "memory"} <= resources["limits"].keys(), name
            ports = {p["name"]: p["containerPort"] for p in container.get("ports", [])}
            for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
                if probe in container:
                    assert container[probe]["httpGet"]["port"] in ports, (name, probe)
    api = find(APP, "Deployment", "wayline-api")["spec"]["template"]["spec"]["containers"][0]
    assert api["readinessProbe"]["httpGet"]["path"] == "/health"
    assert {p["containerPort"] for p in api["ports"]} == {int(config["WAYLINE_API_PORT"])}
    service_port = find(APP, "Service", "wayline-api")["spec"]["ports"][0]
    assert service_port["targetPort"] == "http"
    worker = find(APP, "Deployment", "wayline-worker")["spec"]["template"]
    container = worker["spec"]["containers"][0]
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    metrics_port = int(config["WAYLINE_WORKER_METRICS_PORT"])
    health_port = int(config["WAYLINE_WORKER_HEALTH_PORT"])
    assert ports == {"metrics": metrics_port, "health": health_port}
    # Every probe asks the worker's health endpoint (503 while a background loop is stuck),
    # which must listen beyond loopback for the kubelet to reach it.
    for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
        assert container[probe]["httpGet"] == {"path": "/health", "port": "health"}, probe
    assert config["WAYLINE_WORKER_HEALTH_HOST"] == "0.0.0.0"
    assert worker["metadata"]["annotations"]["prometheus.io/port"] == str(metrics_port)


def test_configuration_comes_from_the_configmap_and_the_secret() -> None:
    config = find(APP, "ConfigMap", "wayline-config")
    assert SECRET["kind"] == "Secret"
    for name, spec in pod_specs([*APP, *JOBS]):
        refs = spec["containers"][0]["envFrom"]
        assert {"configMapRef": {"name": config["metadata"]["name"]}} in refs, name
        assert {"secretRef": {"name": SECRET["metadata"]["name"]}} in refs, name
    assert config["data"]["TEMPORAL_ADDRESS"].startswith("temporal-frontend.temporal.svc")
    assert {"TEMPORAL_ADDRESS", "TEMPORAL_NAMESPACE"} <= config["data"].keys()
    assert "DATABASE_URL" in SECRET["stringData"]
    secret_like = {"DATABASE_URL"} | {
        alias
        for alias in SETTINGS_ENV
        if any(word in alias for word in ("SECRET", "PASSWORD", "TOKEN", "KEY", "ACCOUNT"))
    }
    assert not secret_like & config["data"].keys(), "secrets belong in the Secret"
    known = SETTINGS_ENV | TELEMETRY_ENV
    for keys in (config["data"].keys(), SECRET["stringData"].keys()):
        assert keys <= known, f"not read by Wayline: {set(keys) - known}"


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")
@pytest.mark.parametrize("directory", [K8S, K8S / "jobs"], ids=["app", "jobs"])
def test_kubectl_kustomize_renders_the_same_objects(directory: Path) -> None:
    proc = subprocess.run(
        ["kubectl", "kustomize", str(directory)], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    rendered = [doc for doc in yaml.safe_load_all(proc.stdout) if doc]
    names = sorted((o["kind"], o["metadata"]["name"]) for o in rendered)
    assert names == sorted((o["kind"], o["metadata"]["name"]) for o in build(directory))
    for obj in rendered:
        assert obj["metadata"]["namespace"] == "wayline"
        assert obj["metadata"]["labels"]["app.kubernetes.io/part-of"] == "wayline"
        kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)
