# redis.sh -- sourced by scripts/demo.sh and tests/runner-tsan.sh: a
# redis-server of their own on a free loopback port.
#   redis_up DIR   starts it (its log in DIR/redis.log); sets port, redis_pid
#   redis_down     stops it (also fine when it is not running)
redis_pid=
redis_up() {
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no \
    >"$1/redis.log" 2>&1 &
  redis_pid=$!
  for _ in $(seq 100); do
    redis-cli -p "$port" ping >/dev/null 2>&1 && break
    sleep 0.05
  done
}
redis_down() {
  [[ -n $redis_pid ]] && kill "$redis_pid" 2>/dev/null && wait "$redis_pid" 2>/dev/null
  redis_pid=
}
