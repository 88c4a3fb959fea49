#!/usr/bin/env bash
# Checks the deploy files with the tools that own their formats, where this
# machine has them; each missing tool is reported as SKIPPED (never silently).
#   promtool check config/rules   deploy/prometheus/, deploy/cluster/
#   systemd-analyze verify        deploy/aiswatch.service (ExecStart pointed at the built binary)
#   docker compose config         deploy/compose.yaml, deploy/cluster/compose.yaml
#   aiswatch zones check          the zones the image ships, against deploy/docker.toml
# Metric names in the dashboard and rules are checked against a running daemon
# by tests/deploy.rs; every config key's documentation by tests/config_doc.rs.
# Usage: scripts/check_deploy.sh [path/to/aiswatch]   (default: target/release/aiswatch)
set -uo pipefail
cd "$(dirname "$0")/.."
bin="${1:-target/release/aiswatch}"
fail=0
skip() { echo "SKIPPED: $1" >&2; }
run() {
    echo "+ $*"
    if ! "$@"; then
        echo "FAILED: $*" >&2
        fail=1
    fi
}

if command -v promtool >/dev/null; then
    run promtool check config deploy/prometheus/prometheus.yml
    run promtool check rules deploy/prometheus/alerts.yml
    run promtool check config deploy/cluster/prometheus.yml
    run promtool check rules deploy/cluster/alerts.yml
else
    skip "promtool not installed (Debian: apt-get install prometheus): Prometheus config and rules not checked"
fi

if command -v systemd-analyze >/dev/null; then
    if [ -x "$bin" ]; then
        unit="$(mktemp -d)/aiswatch.service"
        sed "s|/usr/local/bin/aiswatch|$(realpath "$bin")|" deploy/aiswatch.service >"$unit"
        # verify exits 0 on unknown keys and bad values (it only warns): any output fails.
        echo "+ systemd-analyze verify $unit"
        out="$(systemd-analyze verify "$unit" 2>&1)"
        if [ $? -ne 0 ] || [ -n "$out" ]; then
            echo "$out" >&2
            echo "FAILED: systemd-analyze verify deploy/aiswatch.service" >&2
            fail=1
        fi
        # Exposure score (informational; 0 = fully locked down, 10 = none).
        systemd-analyze security --offline=true "$unit" 2>/dev/null | tail -n 1 || true
        rm -rf "$(dirname "$unit")"
    else
        skip "$bin not built: systemd unit not verified"
    fi
else
    skip "systemd-analyze not installed: systemd unit not verified"
fi

if docker compose version >/dev/null 2>&1; then
    run docker compose -f deploy/compose.yaml config --quiet
    run docker compose -f deploy/cluster/compose.yaml config --quiet
elif command -v docker-compose >/dev/null; then
    run docker-compose -f deploy/compose.yaml config --quiet
    run docker-compose -f deploy/cluster/compose.yaml config --quiet
else
    skip "docker compose not available: compose files not checked (YAML syntax only, below)"
fi
if command -v python3 >/dev/null && python3 -c 'import yaml' 2>/dev/null; then
    run python3 -c 'import sys, yaml; [yaml.safe_load(open(f)) for f in sys.argv[1:]]' \
        deploy/compose.yaml deploy/grafana/provisioning/datasources/prometheus.yml \
        deploy/grafana/provisioning/dashboards/aiswatch.yml \
        deploy/cluster/compose.yaml deploy/cluster/prometheus.yml deploy/cluster/alerts.yml
else
    skip "python3 with PyYAML not available: compose and Grafana provisioning YAML not parsed"
fi

if [ -x "$bin" ]; then
    run "$bin" zones check zones --config deploy/docker.toml
    for f in deploy/cluster/*.toml; do
        run "$bin" zones check zones --config "$f"
    done
else
    skip "$bin not built: shipped zones not checked against deploy/docker.toml and deploy/cluster/*.toml"
fi

# The cluster's node files differ only in [cluster] node (and the two header
# lines naming the node).
for f in deploy/cluster/*.toml; do
    if ! diff <(sed '1,2d;/^node = /d' deploy/cluster/ingest-1.toml) <(sed '1,2d;/^node = /d' "$f") >/dev/null; then
        echo "FAILED: $f differs from deploy/cluster/ingest-1.toml in more than [cluster] node" >&2
        fail=1
    fi
done

if [ "$fail" -ne 0 ]; then
    echo "check_deploy: FAILED" >&2
    exit 1
fi
echo "check_deploy: OK"
