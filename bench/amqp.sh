#!/usr/bin/env bash
# Remote request/response over RabbitMQ (AMQP 0.9.1), Node Moleculer 0.15.2 (amqplib) beside
# moleculer-rs and bare lapin at concurrency 1, 10 and 100: bench/nats.sh with TRANSPORT=amqp.
# A RabbitMQ server must run at AMQP_URL (default amqp://guest:guest@127.0.0.1:5672). Both
# Moleculers run with Node's defaults: `prefetch: 1`, requests acknowledged once answered.
#   bash bench/amqp.sh                    # 3 rounds x (3 s + 0.5 s warm-up) per case
#   ROUNDS=1 BENCH_SECS=2 bash bench/amqp.sh
exec env TRANSPORT=amqp bash "$(dirname "${BASH_SOURCE[0]}")/nats.sh" "$@"
