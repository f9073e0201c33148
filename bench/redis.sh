#!/usr/bin/env bash
# Remote request/response over Redis pub/sub, Node Moleculer 0.15.2 (ioredis) beside
# moleculer-rs and the bare redis crate at concurrency 1, 10 and 100: bench/nats.sh with
# TRANSPORT=redis. A Redis server must run at REDIS_URL (default redis://127.0.0.1:6379).
#   bash bench/redis.sh                   # 3 rounds x (3 s + 0.5 s warm-up) per case
#   ROUNDS=1 BENCH_SECS=2 bash bench/redis.sh
exec env TRANSPORT=redis bash "$(dirname "${BASH_SOURCE[0]}")/nats.sh" "$@"
