/*
 * httpserver: the course's exercise, small and statically linked.
 *
 * - listens on $MY_SERVICE_PORT (default 8080)
 * - copies the request headers into the response headers
 * - adds a VERSION header from the environment
 * - logs the client IP and the status code of every request to stdout
 * - /healthz answers 200 (500 when $BROKEN is set: the rollback example's bad release)
 * - `httpserver -check` asks a running server's /healthz (for health checks: the image needs
 *   no shell or wget)
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

static volatile sig_atomic_t stopping = 0;
static void on_term(int sig) { (void)sig; stopping = 1; }

static int port_from_env(void) {
    const char *p = getenv("MY_SERVICE_PORT");
    int port = p ? atoi(p) : 8080;
    return (port > 0 && port < 65536) ? port : 8080;
}

static int write_all(int fd, const char *buf, size_t len) {
    while (len > 0) {
        ssize_t n = write(fd, buf, len);
        if (n < 0) { if (errno == EINTR) continue; return -1; }
        buf += n; len -= (size_t)n;
    }
    return 0;
}

/* Headers that describe this response's framing are ours, not copied from the request. */
static int skip_header(const char *line) {
    static const char *own[] = {"content-length:", "transfer-encoding:", "connection:", "version:", NULL};
    for (int i = 0; own[i]; i++) if (strncasecmp(line, own[i], strlen(own[i])) == 0) return 1;
    return 0;
}

static void serve(int fd, const char *client) {
    char req[16384];
    size_t used = 0;
    struct timeval tv = {5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    while (used < sizeof req - 1) {
        ssize_t n = read(fd, req + used, sizeof req - 1 - used);
        if (n <= 0) break;
        used += (size_t)n;
        req[used] = 0;
        if (strstr(req, "\r\n\r\n")) break;
    }
    req[used] = 0;
    char method[16] = "", path[2048] = "";
    int status = 200;
    if (sscanf(req, "%15s %2047s", method, path) != 2) status = 400;
    const char *version = getenv("VERSION");
    if (!version) version = "unknown";
    const char *body = "ok\n";
    char greeting[256];
    if (status == 200 && strcmp(path, "/healthz") == 0 && getenv("BROKEN")) status = 500;
    if (status == 400) body = "bad request\n";
    else if (status == 500) body = "broken\n";
    else if (strcmp(path, "/healthz") != 0) {
        snprintf(greeting, sizeof greeting, "hello from httpserver %s\n", version);
        body = greeting;
    }
    char head[20000];
    int len = snprintf(head, sizeof head, "HTTP/1.1 %d %s\r\nContent-Length: %zu\r\nConnection: close\r\nVERSION: %s\r\n",
                       status, status == 200 ? "OK" : status == 500 ? "Internal Server Error" : "Bad Request", strlen(body), version);
    /* Copy the request's headers (every line after the request line, up to the blank one). */
    char *line = strstr(req, "\r\n");
    while (line && status != 400) {
        line += 2;
        char *end = strstr(line, "\r\n");
        if (!end || end == line) break;
        if (!skip_header(line) && len + (end - line) + 2 < (int)sizeof head - 4) {
            memcpy(head + len, line, (size_t)(end - line));
            len += (int)(end - line);
            head[len++] = '\r';
            head[len++] = '\n';
        }
        line = end;
    }
    head[len++] = '\r';
    head[len++] = '\n';
    write_all(fd, head, (size_t)len);
    write_all(fd, body, strlen(body));
    printf("%s %d %s %s\n", client, status, method[0] ? method : "-", path[0] ? path : "-");
    fflush(stdout);
}

static int check(int port) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) < 0) return 1;
    const char *req = "GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n";
    if (write_all(fd, req, strlen(req)) < 0) return 1;
    char buf[64] = "";
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    return (n > 12 && strncmp(buf + 9, "200", 3) == 0) ? 0 : 1;
}

int main(int argc, char **argv) {
    int port = port_from_env();
    if (argc > 1 && strcmp(argv[1], "-check") == 0) return check(port);
    struct sigaction sa = {0};
    sa.sa_handler = on_term;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    int s = socket(AF_INET6, SOCK_STREAM, 0);
    int off = 0, on = 1;
    struct sockaddr_in6 addr = {.sin6_family = AF_INET6, .sin6_port = htons((uint16_t)port), .sin6_addr = in6addr_any};
    if (s < 0) { perror("socket"); return 1; }
    setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off);
    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    if (bind(s, (struct sockaddr *)&addr, sizeof addr) < 0 || listen(s, 128) < 0) {
        fprintf(stderr, "httpserver: cannot listen on port %d: %s\n", port, strerror(errno));
        return 1;
    }
    printf("httpserver %s listening on :%d\n", getenv("VERSION") ? getenv("VERSION") : "unknown", port);
    fflush(stdout);
    while (!stopping) {
        struct sockaddr_in6 peer;
        socklen_t plen = sizeof peer;
        int c = accept(s, (struct sockaddr *)&peer, &plen);
        if (c < 0) { if (errno == EINTR) continue; perror("accept"); continue; }
        char ip[INET6_ADDRSTRLEN] = "?";
        if (IN6_IS_ADDR_V4MAPPED(&peer.sin6_addr)) inet_ntop(AF_INET, &peer.sin6_addr.s6_addr[12], ip, sizeof ip);
        else inet_ntop(AF_INET6, &peer.sin6_addr, ip, sizeof ip);
        serve(c, ip);
        close(c);
    }
    printf("httpserver: stopping\n");
    return 0;
}
