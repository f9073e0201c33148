#!/usr/bin/env bash
# Remote request/response on the TCP transporter (no message broker), Node Moleculer 0.15.2
# beside moleculer-rs at concurrency 1, 10 and 100: bench/nats.sh with TRANSPORT=tcp.
#   bash bench/tcp.sh                     # 3 rounds x (3 s + 0.5 s warm-up) per case
#   ROUNDS=1 BENCH_SECS=2 bash bench/tcp.sh
exec env TRANSPORT=tcp bash "$(dirname "${BASH_SOURCE[0]}")/nats.sh" "$@"
