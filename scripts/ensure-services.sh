#!/bin/sh
# Start the local services the tests use when they are not running (Redis; MariaDB if installed).
set -eu
if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  echo "starting redis-server on 127.0.0.1:6379"
  mkdir -p /tmp/importbot-redis
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no \
    --dir /tmp/importbot-redis --logfile /tmp/importbot-redis/redis.log
  for _ in 1 2 3 4 5 6 7 8 9 10; do
    redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break
    sleep 0.5
  done
fi
if command -v mariadbd >/dev/null 2>&1 && ! mariadb -uroot -h127.0.0.1 -e 'select 1' >/dev/null 2>&1; then
  echo "starting mariadbd"
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd || true
  for _ in $(seq 1 30); do
    mariadb -uroot -h127.0.0.1 -e 'select 1' >/dev/null 2>&1 && break
    sleep 1
  done
fi
# docker-compose: tests/test_deployment.py validates docker-compose.yml with it (Debian's package;
# without Recommends it does not pull in the Docker daemon).
if ! command -v docker-compose >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    as_root=""
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    as_root="sudo -n"
  else
    as_root="no"
  fi
  if [ "$as_root" != "no" ]; then
    echo "installing docker-compose (apt-get)"
    apt_install="env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends docker-compose"
    $as_root $apt_install >/dev/null 2>&1 \
      || { $as_root apt-get update -qq >/dev/null 2>&1 && $as_root $apt_install >/dev/null 2>&1; } \
      || echo "could not install docker-compose; tests/test_deployment.py will say how"
  fi
fi
exit 0
