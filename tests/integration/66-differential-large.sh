#!/bin/bash
# The differential policy test (65-differential) once more with its policy
# grown to 10,000 lgwan prefixes and 1,000 services (issue 11): the same
# random packets, in remote and in office mode, against the evaluator, now
# also to the grown prefixes; the mode changes between them go by the
# mode's chains alone. DIFF_PACKETS (500) per mode, as 65.
cd "$(dirname "$0")/../.." || exit 1
DIFF_PREFIXES=${DIFF_PREFIXES:-10000} DIFF_SERVICES=${DIFF_SERVICES:-1000} \
DIFF_PACKETS=${DIFF_PACKETS:-500} exec bash tests/integration/65-differential.sh "$@"
