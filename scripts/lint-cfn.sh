#!/usr/bin/env bash
# npm run lint:cfn: cfn-lint, pinned, on the templates the app synthesizes offline (the default new
# VPC and the committed existing-VPC example). Every accepted warning is in .cfnlintrc.yaml with its
# reason. cfn-lint lives in a virtual environment under .cache/ (outside git), created on first use.
set -euo pipefail
cd "$(dirname "$0")/.."

CFN_LINT_VERSION=1.58.0
venv=.cache/cfn-lint-venv

if [ "$("$venv/bin/cfn-lint" --version 2>/dev/null || true)" != "cfn-lint $CFN_LINT_VERSION" ]; then
  if ! python3 -m venv --help >/dev/null 2>&1; then
    echo "npm run lint:cfn needs Python 3 with venv (Debian/Ubuntu: apt-get install python3-venv)" >&2
    exit 2
  fi
  echo "installing cfn-lint $CFN_LINT_VERSION into $venv" >&2
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "cfn-lint==$CFN_LINT_VERSION"
fi

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
synth() {
  local dir=$1
  shift
  if ! npx cdk synth --quiet -c allowPlaceholderCluster=true "$@" -o "$out/$dir" >"$out/$dir.log" 2>&1; then
    cat "$out/$dir.log" >&2
    exit 1
  fi
}
synth new-vpc
# The existing-VPC variant reads the example lookup committed in cdk.context.json: no AWS call.
synth existing-vpc -c account=123456789012 -c region=ap-northeast-2 -c vpcId=vpc-0a1b2c3d4e5f60718
# What the defaults leave out: the live usage snapshots, and a provisioned ledger with auto scaling.
synth options -c usageSnapshots=true -c mskBootstrapBrokers=b-1.example:9098 -c ledgerCapacityMode=provisioned

"$venv/bin/cfn-lint" --config-file .cfnlintrc.yaml -- "$out"/new-vpc/*.template.json "$out"/existing-vpc/*.template.json "$out"/options/*.template.json
echo "cfn-lint $CFN_LINT_VERSION: no findings beyond .cfnlintrc.yaml"
