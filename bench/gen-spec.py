#!/usr/bin/env python3
"""Writes a realistic N-service app spec (valid for both cncapply and docker-compose) to stdout.

Each service has an image, a command, environment, labels, a published port, a bind mount and
a named volume, a healthcheck, resource limits, a logging config and a dependency on the
previous service: roughly what a real microservice spec carries.
"""
import sys

n = int(sys.argv[1]) if len(sys.argv) > 1 else 20
out = ["services:"]
for i in range(n):
    out += [
        f"  svc{i}:",
        f"    image: registry.example.com/team/svc{i}:1.{i % 10}",
        f"    command: [\"/bin/server\", \"--port\", \"8080\", \"--id\", \"{i}\"]",
        "    environment:",
        f"      SERVICE_ID: \"{i}\"",
        "      LOG_LEVEL: ${LOG_LEVEL:-info}",
        f"      DATABASE_URL: postgres://db:5432/svc{i}",
        "    labels:",
        "      team: platform",
        f"      tier: \"{'front' if i % 3 == 0 else 'back'}\"",
        "    ports:",
        f"      - \"127.0.0.1:{20000 + i}:8080\"",
        "    volumes:",
        f"      - ./config/svc{i}:/etc/svc:ro",
        f"      - data{i}:/var/lib/svc",
        "    healthcheck:",
        "      test: [\"CMD\", \"/bin/server\", \"--check\"]",
        "      interval: 10s",
        "      timeout: 2s",
        "      retries: 3",
        "    restart: unless-stopped",
        "    mem_limit: 256m",
        "    cpus: 0.5",
        "    pids_limit: 200",
        "    logging:",
        "      driver: json-file",
        "      options:",
        "        max-size: 10m",
        "        max-file: \"3\"",
    ]
    if i > 0:
        out += ["    depends_on:", f"      - svc{i - 1}"]
out.append("volumes:")
for i in range(n):
    out.append(f"  data{i}: {{}}")
print("\n".join(out))
