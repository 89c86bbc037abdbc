"""A manifests repository generated to look like a real one, deterministic by seed.

Teams own apps; each app directory holds a workload stream with a Deployment (env lists, resources, probes, volumes),
its Service, a ConfigMap with data blocks (literal ``|`` blocks of config files), an Ingress with
TLS, sometimes a CronJob, an HPA, a PodDisruptionBudget, RBAC, and now and then a file holding
several of those as a multi-document stream. A ``crds/`` directory holds CustomResourceDefinitions
with real-sized schemas; a few apps are Helm charts (Chart.yaml, values.yaml, templates) and a
few are kustomize bases with overlays. About one document in eight uses a deprecated or removed
API version. Styles vary as people write them: comments, quoted and plain strings, flow
sequences, block scalars.

``python bench/corpus.py DIR [--files 5000] [--seed 14]`` writes one; the benches import
``generate``.
"""

from __future__ import annotations

import argparse
import random
from dataclasses import dataclass
from pathlib import Path

OLD_RATE = 0.4
"""Share of the objects of kinds that had older API versions written with one: with the
ConfigMaps (always v1) that makes about one document in eight."""
# (apiVersion now, apiVersion of old) for the kinds an app is made of.
OLD_API = {
    "Deployment": ("apps/v1", ["extensions/v1beta1", "apps/v1beta2", "apps/v1beta1"]),
    "Ingress": ("networking.k8s.io/v1", ["extensions/v1beta1", "networking.k8s.io/v1beta1"]),
    "CronJob": ("batch/v1", ["batch/v1beta1"]),
    "HorizontalPodAutoscaler": ("autoscaling/v2", ["autoscaling/v2beta1", "autoscaling/v2beta2"]),
    "PodDisruptionBudget": ("policy/v1", ["policy/v1beta1"]),
    "Role": ("rbac.authorization.k8s.io/v1", ["rbac.authorization.k8s.io/v1beta1"]),
    "RoleBinding": ("rbac.authorization.k8s.io/v1", ["rbac.authorization.k8s.io/v1beta1"]),
    "CustomResourceDefinition": ("apiextensions.k8s.io/v1", ["apiextensions.k8s.io/v1beta1"]),
    "FlowSchema": ("flowcontrol.apiserver.k8s.io/v1", ["flowcontrol.apiserver.k8s.io/v1beta2"]),
    "PodSecurityPolicy": ("policy/v1beta1", ["policy/v1beta1"]),
    "StatefulSet": ("apps/v1", ["apps/v1beta2"]),
}
WORDS = [
    "alpha",
    "bravo",
    "cart",
    "checkout",
    "search",
    "ledger",
    "billing",
    "orders",
    "users",
    "auth",
    "gateway",
    "catalog",
    "inventory",
    "payments",
    "mailer",
    "notify",
    "report",
    "stream",
    "index",
    "cache",
    "worker",
    "api",
    "web",
    "admin",
]
IMAGES = ("nginx", "redis", "postgres", "envoy", "python", "node", "golang", "busybox")


@dataclass
class Stats:
    files: int = 0
    documents: int = 0
    old: int = 0
    charts: int = 0
    overlays: int = 0


class _Gen:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)  # noqa: S311 - a reproducible corpus, not a secret
        self.stats = Stats()

    def api(self, kind: str) -> str:
        now, old = OLD_API[kind]
        if kind == "PodSecurityPolicy" or self.rng.random() < OLD_RATE:
            self.stats.old += 1
            return self.rng.choice(old)
        return now

    def word(self) -> str:
        return self.rng.choice(WORDS)

    def labels(self, app: str, indent: int) -> str:
        pad = " " * indent
        lines = [f"{pad}app.kubernetes.io/name: {app}", f"{pad}app.kubernetes.io/part-of: shop"]
        if self.rng.random() < 0.5:
            lines.append(f'{pad}team: "{self.word()}"')
        return "\n".join(lines)

    def meta(self, name: str, ns: str, app: str) -> str:
        note = "  # owned by the platform team\n" if self.rng.random() < 0.2 else ""
        quote = self.rng.choice(['"', "'", "", "", ""])  # people quote some names
        return (
            f"metadata:\n  name: {name}\n  namespace: {quote}{ns}{quote}\n{note}  labels:\n"
            + self.labels(app, 4)
        )

    def env(self, indent: int) -> str:
        pad = " " * indent
        out = []
        for n in range(self.rng.randint(6, 24)):
            key = f"{self.word().upper()}_{n}"
            r = self.rng.random()
            if r < 0.6:
                value = self.rng.choice(
                    [f'"{self.rng.randint(1, 9999)}"', f"{self.word()}-{n}", '"true"']
                )
                out.append(f"{pad}- name: {key}\n{pad}  value: {value}")
            elif r < 0.8:
                out.append(
                    f"{pad}- name: {key}\n{pad}  valueFrom:\n{pad}    configMapKeyRef:\n"
                    f"{pad}      name: {self.word()}-config\n{pad}      key: {self.word()}"
                )
            else:
                out.append(
                    f"{pad}- name: {key}\n{pad}  valueFrom:\n{pad}    secretKeyRef:\n"
                    f"{pad}      name: {self.word()}-secret\n{pad}      key: password"
                )
        return "\n".join(out)

    def container(self, app: str, indent: int) -> str:
        p = " " * indent
        image = f"registry.example.com/{self.rng.choice(IMAGES)}:{self.rng.randint(1, 30)}.{self.rng.randint(0, 9)}"
        args = ", ".join(f'"--{self.word()}={self.rng.randint(1, 99)}"' for _ in range(3))
        return (
            f"{p}- name: {app}\n{p}  image: {image}\n{p}  imagePullPolicy: IfNotPresent\n"
            f"{p}  args: [{args}]\n"
            f"{p}  ports:\n{p}    - name: http\n{p}      containerPort: 8080\n"
            f"{p}      protocol: TCP\n"
            f"{p}  env:\n{self.env(indent + 4)}\n"
            f"{p}  resources:\n{p}    requests:\n{p}      cpu: {self.rng.randint(50, 500)}m\n"
            f"{p}      memory: {self.rng.choice([64, 128, 256, 512])}Mi\n{p}    limits:\n"
            f'{p}      cpu: "{self.rng.randint(1, 4)}"\n'
            f"{p}      memory: {self.rng.choice([256, 512, 1024])}Mi\n"
            f"{p}  readinessProbe:\n{p}    httpGet:\n{p}      path: /healthz\n{p}      port: http\n"
            f"{p}    periodSeconds: 10\n"
            f"{p}  livenessProbe:\n{p}    httpGet:\n{p}      path: /livez\n{p}      port: http\n"
            f"{p}    initialDelaySeconds: 15\n"
            f"{p}  volumeMounts:\n{p}    - name: config\n{p}      mountPath: /etc/{app}\n"
            f"{p}      readOnly: true\n"
        )

    def pod_spec(self, app: str, indent: int) -> str:
        p = " " * indent
        return (
            f"{p}serviceAccountName: {app}\n{p}securityContext:\n{p}  runAsNonRoot: true\n"
            f"{p}  runAsUser: 10001\n{p}containers:\n{self.container(app, indent + 2)}"
            f"{p}volumes:\n{p}  - name: config\n{p}    configMap:\n{p}      name: {app}-config\n"
        )

    def deployment(self, app: str, ns: str, kind: str = "Deployment") -> str:
        return (
            f"apiVersion: {self.api(kind)}\nkind: {kind}\n{self.meta(app, ns, app)}\nspec:\n"
            f"  replicas: {self.rng.randint(1, 6)}\n  selector:\n    matchLabels:\n"
            f"      app.kubernetes.io/name: {app}\n  template:\n    metadata:\n      labels:\n"
            f"{self.labels(app, 8)}\n      annotations:\n"
            f'        prometheus.io/scrape: "true"\n    spec:\n{self.pod_spec(app, 6)}'
        )

    def service(self, app: str, ns: str) -> str:
        kind = self.rng.choice(["ClusterIP", "ClusterIP", "NodePort"])
        return (
            f"apiVersion: v1\nkind: Service\n{self.meta(app, ns, app)}\nspec:\n  type: {kind}\n"
            f"  selector:\n    app.kubernetes.io/name: {app}\n  ports:\n    - name: http\n"
            f"      port: 80\n      targetPort: http\n"
        )

    def configmap(self, app: str, ns: str) -> str:
        blocks = []
        for n in range(self.rng.randint(1, 4)):
            lines = "\n".join(
                f"    {self.word()}.{self.word()}={self.rng.randint(0, 10**6)}"
                for _ in range(self.rng.randint(5, 30))
            )
            blocks.append(f"  {self.word()}-{n}.properties: |\n{lines}")
        plain = "\n".join(f'  {self.word()}_{n}: "{self.word()}"' for n in range(5))
        return (
            f"apiVersion: v1\nkind: ConfigMap\n{self.meta(app + '-config', ns, app)}\n"
            f"data:\n{plain}\n" + "\n".join(blocks) + "\n"
        )

    def ingress(self, app: str, ns: str) -> str:
        api = self.api("Ingress")
        host = f"{app}.{ns}.example.com"
        if api == "networking.k8s.io/v1":
            backend = f"            backend:\n              service:\n                name: {app}\n                port:\n                  number: 80\n"
            path_type = "            pathType: Prefix\n"
        else:
            backend = f"            backend:\n              serviceName: {app}\n              servicePort: 80\n"
            path_type = ""
        return (
            f"apiVersion: {api}\nkind: Ingress\n{self.meta(app, ns, app)}\n  annotations:\n"
            f"    cert-manager.io/cluster-issuer: letsencrypt\nspec:\n  ingressClassName: nginx\n"
            f"  tls:\n    - hosts: [{host}]\n      secretName: {app}-tls\n  rules:\n"
            f"    - host: {host}\n      http:\n        paths:\n          - path: /\n"
            f"{path_type}{backend}"
        )

    def cronjob(self, app: str, ns: str) -> str:
        return (
            f"apiVersion: {self.api('CronJob')}\nkind: CronJob\n"
            f"{self.meta(app + '-nightly', ns, app)}\nspec:\n"
            f'  schedule: "{self.rng.randint(0, 59)} {self.rng.randint(0, 23)} * * *"\n'
            f"  concurrencyPolicy: Forbid\n  jobTemplate:\n    spec:\n      template:\n"
            f"        spec:\n          restartPolicy: OnFailure\n"
            f"{self.pod_spec(app, 10)}"
        )

    def hpa(self, app: str, ns: str) -> str:
        return (
            f"apiVersion: {self.api('HorizontalPodAutoscaler')}\nkind: HorizontalPodAutoscaler\n"
            f"{self.meta(app, ns, app)}\nspec:\n  scaleTargetRef:\n    apiVersion: apps/v1\n"
            f"    kind: Deployment\n    name: {app}\n  minReplicas: 2\n"
            f"  maxReplicas: {self.rng.randint(4, 20)}\n"
        )

    def pdb(self, app: str, ns: str) -> str:
        return (
            f"apiVersion: {self.api('PodDisruptionBudget')}\nkind: PodDisruptionBudget\n"
            f"{self.meta(app, ns, app)}\nspec:\n  minAvailable: 1\n  selector:\n"
            f"    matchLabels:\n      app.kubernetes.io/name: {app}\n"
        )

    def rbac(self, app: str, ns: str) -> list[str]:
        role = (
            f"apiVersion: {self.api('Role')}\nkind: Role\n{self.meta(app, ns, app)}\nrules:\n"
            f'  - apiGroups: [""]\n    resources: ["configmaps", "secrets"]\n'
            f'    verbs: ["get", "list", "watch"]\n'
        )
        binding = (
            f"apiVersion: {self.api('RoleBinding')}\nkind: RoleBinding\n"
            f"{self.meta(app, ns, app)}\nroleRef:\n  apiGroup: rbac.authorization.k8s.io\n"
            f"  kind: Role\n  name: {app}\nsubjects:\n  - kind: ServiceAccount\n"
            f"    name: {app}\n    namespace: {ns}\n"
        )
        account = f"apiVersion: v1\nkind: ServiceAccount\n{self.meta(app, ns, app)}\n"
        return [account, role, binding]

    def crd(self, n: int) -> str:
        group = f"{self.word()}.example.com"
        plural = f"{self.word()}s{n}"
        props = "\n".join(
            f"                {self.word()}{k}:\n                  type: "
            f"{self.rng.choice(['string', 'integer', 'boolean'])}\n"
            f"                  description: The {self.word()} of the {self.word()}."
            for k in range(self.rng.randint(10, 40))
        )
        return (
            f"apiVersion: {self.api('CustomResourceDefinition')}\nkind: CustomResourceDefinition\n"
            f"metadata:\n  name: {plural}.{group}\nspec:\n  group: {group}\n  scope: Namespaced\n"
            f"  names:\n    kind: Thing{n}\n    plural: {plural}\n  versions:\n    - name: v1\n"
            f"      served: true\n      storage: true\n      schema:\n        openAPIV3Schema:\n"
            f"          type: object\n          properties:\n            spec:\n"
            f"              type: object\n              properties:\n{props}\n"
        )


def _write(path: Path, docs: list[str], gen: _Gen) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    head = "# managed by the platform team; see README\n" if gen.rng.random() < 0.3 else ""
    path.write_text(head + "---\n".join(docs))
    gen.stats.files += 1
    gen.stats.documents += len(docs)


def _app(root: Path, gen: _Gen, team: int, app_no: int, per_file: float) -> None:
    """One app: its workload stream, its config stream, sometimes its jobs; the config stream
    grows with ConfigMaps until the app averages ``per_file`` documents a file."""
    app = f"{gen.word()}-{app_no}"
    ns = f"team-{team}"
    d = root / f"team-{team}" / app
    kind = "StatefulSet" if gen.rng.random() < 0.1 else "Deployment"
    docs = [gen.deployment(app, ns, kind), gen.service(app, ns), gen.ingress(app, ns)]
    if gen.rng.random() < 0.7:
        docs += [gen.hpa(app, ns), gen.pdb(app, ns)]
    docs += gen.rbac(app, ns)
    jobs = [gen.cronjob(f"{app}-{k}", ns) for k in range(gen.rng.randint(1, 3))]
    has_jobs = gen.rng.random() < 0.4
    files = 3 if has_jobs else 2
    budget = per_file * files - len(docs) - (len(jobs) if has_jobs else 0)
    configs = max(1, round(budget * gen.rng.uniform(0.7, 1.3)))
    _write(d / gen.rng.choice(["app.yaml", "workload.yaml", "manifests.yml"]), docs, gen)
    _write(d / "config.yaml", [gen.configmap(f"{app}-{k}", ns) for k in range(configs)], gen)
    if has_jobs:
        _write(d / "cronjobs.yaml", jobs, gen)


def _chart(root: Path, gen: _Gen, n: int) -> None:
    d = root / "charts" / f"svc-{n}"
    (d / "templates").mkdir(parents=True, exist_ok=True)
    (d / "Chart.yaml").write_text(
        f'apiVersion: v2\nname: svc-{n}\nversion: 1.{n}.0\nappVersion: "2.{n}"\n'
        'kubeVersion: ">=1.22.0-0"\n'
    )
    (d / "values.yaml").write_text("replicas: 2\nimage: registry.example.com/svc:1.0\n")
    ingress_api = "networking.k8s.io/v1beta1" if n % 2 else "networking.k8s.io/v1"
    (d / "templates" / "deployment.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\n"
        "spec:\n  replicas: {{ .Values.replicas }}\n  selector:\n    matchLabels:\n"
        "      app: {{ .Release.Name }}\n  template:\n    metadata:\n      labels:\n"
        "        app: {{ .Release.Name }}\n    spec:\n      containers:\n"
        "        - name: app\n          image: {{ .Values.image }}\n"
    )
    (d / "templates" / "ingress.yaml").write_text(
        f"apiVersion: {ingress_api}\nkind: Ingress\nmetadata:\n  name: {{{{ .Release.Name }}}}\n"
        "spec:\n  rules:\n    - host: svc.example.com\n"
    )
    gen.stats.charts += 1


def _overlay(root: Path, gen: _Gen, n: int) -> None:
    base = root / "kustomize" / f"app-{n}" / "base"
    app = f"kapp-{n}"
    _write(base / "deployment.yaml", [gen.deployment(app, "default")], gen)
    _write(base / "cronjob.yaml", [gen.cronjob(app, "default")], gen)
    (base / "kustomization.yaml").write_text(
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
        "resources:\n  - deployment.yaml\n  - cronjob.yaml\n"
    )
    prod = base.parent / "overlays" / "prod"
    prod.mkdir(parents=True, exist_ok=True)
    (prod / "kustomization.yaml").write_text(
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
        "namespace: prod\nresources:\n  - ../../base\n"
    )
    gen.stats.overlays += 1


def generate(
    root: Path, files: int = 5000, seed: int = 14, charts: int = 3, per_file: float = 10.0
) -> Stats:
    """Write a repository of about ``files`` manifest files holding about ``per_file`` documents
    each under ``root``; what it holds."""
    gen = _Gen(seed)
    for n in range(charts):
        _chart(root, gen, n)
        _overlay(root, gen, n)
    crds = max(1, files // 100)
    for n in range(crds):
        _write(root / "crds" / f"crd-{n}.yaml", [gen.crd(n)], gen)
    if files >= 20:
        flows = (
            "apiVersion: {api}\nkind: FlowSchema\nmetadata:\n  name: fs-{n}\nspec:\n"
            "  priorityLevelConfiguration:\n    name: workload-low\n  matchingPrecedence: 1000\n"
        )
        docs = [flows.format(api=gen.api("FlowSchema"), n=n) for n in range(4)]
        psp = (
            "apiVersion: policy/v1beta1\nkind: PodSecurityPolicy\nmetadata:\n  name: restricted\n"
            "spec:\n  privileged: false\n  runAsUser:\n    rule: MustRunAsNonRoot\n"
        )
        gen.api("PodSecurityPolicy")
        _write(root / "cluster" / "platform.yaml", [*docs, psp], gen)
    team, app_no = 0, 0
    while gen.stats.files < files:
        _app(root, gen, team, app_no, per_file)
        app_no += 1
        team = app_no // 12
    return gen.stats


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("root", type=Path)
    ap.add_argument("--files", type=int, default=5000)
    ap.add_argument("--seed", type=int, default=14)
    ap.add_argument("--charts", type=int, default=3, help="Helm charts and kustomize overlays")
    ap.add_argument("--per-file", type=float, default=10.0, help="documents per file, about")
    args = ap.parse_args()
    stats = generate(args.root, args.files, args.seed, args.charts, args.per_file)
    print(stats)


if __name__ == "__main__":
    main()


ODD: dict[str, bytes] = {
    "anchors.yaml": b"apiVersion: batch/v1beta1\nkind: CronJob\nmetadata: &m\n  name: anchored\n"
    b"spec:\n  jobTemplate:\n    metadata:\n      <<: *m\n",
    "tags.yaml": b"apiVersion: v1\nkind: !!str Service\nmetadata:\n  name: !!str tagged\n---\n"
    b"apiVersion: !custom extensions/v1beta1\nkind: Ingress\nmetadata:\n  name: custom-tag\n",
    "bom.yaml": b"\xef\xbb\xbfapiVersion: extensions/v1beta1\nkind: Ingress\nmetadata:\n  name: bom\n",
    "utf16.yaml": "apiVersion: policy/v1beta1\nkind: PodSecurityPolicy\nmetadata:\n  name: u16\n".encode(
        "utf-16"
    ),
    "crlf.yaml": b"apiVersion: batch/v1beta1\r\nkind: CronJob\r\nmetadata:\r\n  name: crlf\r\n",
    "lone-cr.yaml": b"apiVersion: batch/v1beta1\rkind: CronJob\rmetadata:\r  name: cr\r",
    "latin1.yaml": b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: caf\xe9\n",
    "huge.yaml": b"apiVersion: extensions/v1beta1\nkind: Ingress\nmetadata:\n  name: huge\n"
    b"  annotations:\n    blob: " + b"x" * 2_000_000 + b"\n",
    "directive.yaml": b"%YAML 1.1\n---\napiVersion: policy/v1beta1\nkind: PodDisruptionBudget\n"
    b"metadata:\n  name: directive\n...\n",
    "flow.yaml": b'{"apiVersion": "batch/v1beta1", "kind": "CronJob", "metadata": {"name": "json"}}\n',
    "list.yaml": b"apiVersion: v1\nkind: List\nitems:\n- apiVersion: policy/v1beta1\n"
    b"  kind: PodDisruptionBudget\n  metadata: {name: item}\n",
    "numbers.yaml": b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: 0x1F\n  namespace: 2024-02-30\n",
    "multiline.yaml": b"apiVersion: extensions/v1beta1\nkind: Ingress\nmetadata:\n  name: cont\n"
    b"    inued\n",
    "duplicate.yaml": b"apiVersion: v1\nkind: Secret\nkind: Service\nmetadata:\n  name: dup\n",
    "broken.yaml": b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: [unclosed\n---\n"
    b"apiVersion: batch/v1beta1\nkind: CronJob\nmetadata:\n  name: after-error\n",
    "template.yaml": b"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\n",
    "marker-content.yaml": b"--- apiVersion: v1\nkind: Secret\nmetadata:\n  name: on-marker\n",
    "tabs.yaml": b"apiVersion: extensions/v1beta1\nkind: Ingress\nmetadata:\n  name: tab\nspec:\n\tx: 1\n",
    "quoted-keys.yaml": b'"apiVersion": extensions/v1beta1\n"kind": Ingress\nmetadata:\n  "name": q\n',
    "empty.yaml": b"",
    "comments.yaml": b"# nothing but a comment\n---\n# and another\n",
    # rapidyaml accepts each of these, libyaml refuses it (the rapid tier must hand them over)
    "lenient-indicators.yaml": b"apiVersion: batch/v1beta1\nkind: CronJob\nmetadata:\n"
    b"  name: at\nspec:\n  owner: @team\n  other: [: x]\n  key: `x\n",
    "lenient-flow.yaml": b"apiVersion: batch/v1beta1\nkind: CronJob\nmetadata: {name: cj, names\n"
    b"  pace: x}\n",
    "lenient-header.yaml": b"apiVersion: batch/v1beta1\nkind: CronJob\nmetadata:\n  name: h\n"
    b"data:\n  a: |1.0\n    x\n",
    "lenient-closing.yaml": b"apiVersion: batch/v1beta1\nkind: CronJob\nmetadata:\n  name: c\n"
    b"data:\n  ]a.conf: x\n",
    "unbuildable.yaml": b"apiVersion: batch/v1beta1\nkind: CronJob\nmetadata:\n  name: u\n"
    b"data:\n  n: ._\n",
}
"""Inputs only the careful reader handles right: each must give the same result either way."""


def write_odd(root: Path) -> int:
    """Write ``ODD`` under ``root``; how many files."""
    root.mkdir(parents=True, exist_ok=True)
    for name, data in ODD.items():
        (root / name).write_bytes(data)
    return len(ODD)
