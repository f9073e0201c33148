#!/usr/bin/env bash
# Remote request/response over MQTT, Node Moleculer 0.15.2 (mqtt.js) beside moleculer-rs and
# bare rumqttc at concurrency 1, 10 and 100: bench/nats.sh with TRANSPORT=mqtt. An MQTT
# broker must run at MQTT_URL (default mqtt://127.0.0.1:1883).
#   bash bench/mqtt.sh                    # 3 rounds x (3 s + 0.5 s warm-up) per case
#   ROUNDS=1 BENCH_SECS=2 bash bench/mqtt.sh
exec env TRANSPORT=mqtt bash "$(dirname "${BASH_SOURCE[0]}")/nats.sh" "$@"
