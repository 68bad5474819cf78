#!/usr/bin/env bash
# Build the Kubernetes lint tools into the git-ignored .cache/tools (cached: skipped when present).
#
#   helm        helm.sh/helm/v3/cmd/helm            (go install from the Go module proxy)
#   kubeconform github.com/yannh/kubeconform/cmd/kubeconform
#   schemas     .cache/kubeconform-schemas: JSON schemas for kubeconform, generated offline by
#               dev/k8s_schemas.py from the Kubernetes OpenAPI spec shipped in the k8s.io/kubernetes
#               Go module (api/openapi-spec/swagger.json) and from the CRD YAML shipped in the
#               github.com/kedacore/keda/v2 and prometheus-operator Go modules.
#
# GOPATH, GOCACHE and GOMODCACHE live under .cache too, so CI and later runs reuse them.
# The first run compiles helm (a few minutes on 2 cores); later runs return immediately.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"

HELM_VERSION="${HELM_VERSION:-v3.19.5}"
KUBECONFORM_VERSION="${KUBECONFORM_VERSION:-v0.7.0}"
KUBERNETES_VERSION="${KUBERNETES_VERSION:-v1.33.13}"
KEDA_VERSION="${KEDA_VERSION:-v2.21.0}"
PROMETHEUS_OPERATOR_VERSION="${PROMETHEUS_OPERATOR_VERSION:-v0.85.0}"

CACHE="$ROOT/.cache"
BIN="$CACHE/tools/bin"
export GOPATH="$CACHE/tools/go"
export GOMODCACHE="$GOPATH/pkg/mod"
export GOCACHE="$CACHE/tools/go-build"
export GOBIN="$BIN"
export GOFLAGS="-buildvcs=false -modcacherw"
export CGO_ENABLED=0
mkdir -p "$BIN"

if ! command -v go >/dev/null 2>&1; then
    for candidate in /usr/local/go/bin /usr/lib/go/bin; do
        [[ -x "$candidate/go" ]] && PATH="$candidate:$PATH"
    done
fi
command -v go >/dev/null 2>&1 || { echo "tools.sh: the Go toolchain is required (apt-get install golang-go)" >&2; exit 1; }

# install NAME PACKAGE VERSION [LDFLAGS]: go install once per version (a stamp records it).
install() {
    local name="$1" package="$2" version="$3" ldflags="${4:-}"
    local stamp="$BIN/.$name.version"
    if [[ -x "$BIN/$name" && -f "$stamp" && "$(cat "$stamp")" == "$version" ]]; then
        return 0
    fi
    echo "tools.sh: building $name $version (go install, cached in .cache/tools)" >&2
    go install -trimpath -ldflags "-s -w $ldflags" "$package@$version"
    echo "$version" >"$stamp"
}

# module_dir MODULE VERSION: download a Go module (zip from the proxy) and print its directory.
module_dir() {
    (cd "$CACHE" && go mod download -json "$1@$2") \
        | python3 -c 'import json, sys; print(json.load(sys.stdin)["Dir"])'
}

install kubeconform github.com/yannh/kubeconform/cmd/kubeconform "$KUBECONFORM_VERSION" \
    "-X main.version=$KUBECONFORM_VERSION"

# helm's default Kubernetes version (for kubeVersion checks and .Capabilities) is set at link time
# by its Makefile from the client-go it is built with; do the same.
helm_gomod="$(cd "$CACHE" && go mod download -json "helm.sh/helm/v3@$HELM_VERSION" \
    | python3 -c 'import json, sys; print(json.load(sys.stdin)["GoMod"])')"
k8s_minor="$(sed -n 's|^[[:space:]]*k8s.io/client-go v0\.\([0-9]*\)\..*|\1|p' "$helm_gomod" | head -1)"
install helm helm.sh/helm/v3/cmd/helm "$HELM_VERSION" "\
-X helm.sh/helm/v3/internal/version.version=$HELM_VERSION \
-X helm.sh/helm/v3/internal/version.gitTreeState=clean \
-X helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=1 \
-X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=${k8s_minor:-20} \
-X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMajor=1 \
-X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMinor=${k8s_minor:-20}"

SCHEMAS="$CACHE/kubeconform-schemas"
SCHEMA_STAMP="$SCHEMAS/.versions"
WANT="$KUBERNETES_VERSION $KEDA_VERSION $PROMETHEUS_OPERATOR_VERSION $(sha256sum dev/k8s_schemas.py | cut -c1-16) prometheusrules"
if [[ ! -f "$SCHEMA_STAMP" || "$(cat "$SCHEMA_STAMP")" != "$WANT" ]]; then
    echo "tools.sh: generating kubeconform schemas (Kubernetes $KUBERNETES_VERSION, KEDA $KEDA_VERSION, prometheus-operator $PROMETHEUS_OPERATOR_VERSION)" >&2
    k8s_dir="$(module_dir k8s.io/kubernetes "$KUBERNETES_VERSION")"
    keda_dir="$(module_dir github.com/kedacore/keda/v2 "$KEDA_VERSION")"
    promop_dir="$(module_dir github.com/prometheus-operator/prometheus-operator "$PROMETHEUS_OPERATOR_VERSION")"
    rm -rf "$SCHEMAS"
    PY="${PYTHON:-python3}"
    [[ -x "$ROOT/.venv/bin/python" ]] && PY="$ROOT/.venv/bin/python"
    "$PY" dev/k8s_schemas.py \
        --swagger "$k8s_dir/api/openapi-spec/swagger.json" \
        --kubernetes-version "${KUBERNETES_VERSION#v}" \
        --crd "$keda_dir/config/crd/bases/keda.sh_scaledobjects.yaml" \
        --crd "$keda_dir/config/crd/bases/keda.sh_triggerauthentications.yaml" \
        --crd "$promop_dir/example/prometheus-operator-crd/monitoring.coreos.com_servicemonitors.yaml" \
        --crd "$promop_dir/example/prometheus-operator-crd/monitoring.coreos.com_podmonitors.yaml" \
        --crd "$promop_dir/example/prometheus-operator-crd/monitoring.coreos.com_prometheusrules.yaml" \
        --out "$SCHEMAS"
    echo "$WANT" >"$SCHEMA_STAMP"
fi

echo "tools.sh: $("$BIN/helm" version --short), kubeconform $("$BIN/kubeconform" -v), schemas in .cache/kubeconform-schemas" >&2
