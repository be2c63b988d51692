#!/usr/bin/env bash
# Build a container image and let imgaudit decide whether the CI step passes.
#
#   examples/docker/build-and-scan.sh IMAGE CONTEXT [imgaudit scan options...]
#
# The image goes from `docker save` straight into `imgaudit scan -` (a stream: nothing is
# written to disk). The text report goes to the log, SARIF to ${SARIF_FILE:-imgaudit.sarif}
# with the image name (tag dropped) as its code-scanning category. The step's exit status is
# imgaudit's: 0 nothing at or above --fail-on (default error), 1 findings, 2 unreadable input.
# With pipefail a failing `docker save` fails the step too (imgaudit then reads an empty
# stream and exits 2).
set -euo pipefail

image=${1:?usage: build-and-scan.sh IMAGE CONTEXT [imgaudit scan options...]}
context=${2:?usage: build-and-scan.sh IMAGE CONTEXT [imgaudit scan options...]}
shift 2
category=${image%@*}                     # the image name without tag or digest
[[ ${category##*/} == *:* ]] && category=${category%:*}

docker build --tag "$image" "$context"
docker save "$image" | imgaudit scan - \
  --sarif-category "$category" --report "sarif=${SARIF_FILE:-imgaudit.sarif}" "$@"
