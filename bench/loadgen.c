/*
 * Load generator for the line servers: one epoll loop, non-blocking sockets.
 * Built by the bench with the machine's cc; a C loop keeps the generator's own
 * CPU cost well below the servers' so that it is not what gets measured.
 *
 *   loadgen rt      HOST PORT CONNS SOURCES TIMEOUT_MS   closed loop, one line in flight per connection
 *   loadgen hold    HOST PORT CONNS SOURCES TIMEOUT_MS   open CONNS, one line each, then hold them idle
 *   loadgen connect HOST PORT CONCURRENCY SOURCES TIMEOUT_MS   connect, "shutdown", read reply, close; repeat
 *
 * SOURCES is a comma-separated list of 127.x source addresses used round-robin
 * (each gives its own ephemeral port range). HOST must be in 127.0.0.0/8. RAMP (default 512)
 * bounds the connections being set up at once.
 *
 * Protocol with the parent on stdin/stdout, so several processes start measuring together:
 *   -> {"event":"ready",...}    once every connection is set up (or TIMEOUT_MS passed)
 *   <- "go WARMUP_MS MEASURE_MS\n"  run unmeasured, then measured (rt, connect); hold: any line or EOF ends it
 *   -> {"event":"measuring"}    when the measured part starts
 *   -> {"event":"result",...}   counts, own CPU time, latency histogram [[ns,count],...]
 *   <- a line or EOF            close every connection and exit
 * Every phase is bounded in time: nothing runs longer than TIMEOUT_MS + MEASURE_MS.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif

enum { ST_CONNECTING, ST_WAITING, ST_IDLE, ST_DONE };
enum { MODE_RT, MODE_HOLD, MODE_CONNECT };

typedef struct {
  int fd;
  int state;
  int answered; /* got its first reply */
  uint64_t sent_ns;
} conn_t;

/* Log-linear latency histogram in ns: 128 sub-buckets per power of two, < 1% error. */
#define SUB_BITS 7
#define SUB (1 << SUB_BITS)
#define NBUCKETS (64 * SUB)
static uint64_t hist[NBUCKETS];

static int bucket_of(uint64_t v) {
  if (v < 2 * SUB) return (int)v;
  int msb = 63 - __builtin_clzll(v);
  int shift = msb - SUB_BITS;
  return (shift + 1) * SUB + (int)((v >> shift) - SUB);
}
static uint64_t value_of(int idx) {
  if (idx < 2 * SUB) return (uint64_t)idx;
  int shift = idx / SUB - 1;
  return ((uint64_t)(idx % SUB + SUB)) << shift;
}

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}
static uint64_t cpu_ns(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ((uint64_t)ru.ru_utime.tv_sec + (uint64_t)ru.ru_stime.tv_sec) * 1000000000ull +
         ((uint64_t)ru.ru_utime.tv_usec + (uint64_t)ru.ru_stime.tv_usec) * 1000ull;
}

static int mode, epfd, nsources;
static struct sockaddr_in target;
static struct in_addr sources[256];
static conn_t *conns;
static long nconns;
static uint64_t next_source;
static int running, measuring;
static uint64_t completed, errors, connect_errors;
/* Opened and not answered yet; answered once and still open. */
static long unanswered, answered_open;
static const char LINE[] = "hello\n";
static const char SHUTDOWN[] = "shutdown\n";

static void die(const char *what) {
  fprintf(stderr, "loadgen: %s: %s\n", what, strerror(errno));
  exit(1);
}

static void arm(conn_t *c, uint32_t events, int op) {
  struct epoll_event ev = {.events = events, .data.ptr = c};
  if (epoll_ctl(epfd, op, c->fd, &ev) < 0) die("epoll_ctl");
}

/* Starts a non-blocking connect; returns 0 on success. */
static int open_conn(conn_t *c) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  /* Pick the port at connect time (per 4-tuple), not at bind time: far more ports per source. */
  setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
  struct sockaddr_in src = {.sin_family = AF_INET, .sin_port = 0};
  src.sin_addr = sources[next_source++ % (uint64_t)nsources];
  if (bind(fd, (struct sockaddr *)&src, sizeof src) < 0) {
    close(fd);
    return -1;
  }
  if (connect(fd, (struct sockaddr *)&target, sizeof target) < 0 && errno != EINPROGRESS) {
    close(fd);
    return -1;
  }
  c->fd = fd;
  c->state = ST_CONNECTING;
  c->answered = 0;
  unanswered++;
  c->sent_ns = now_ns();
  arm(c, EPOLLOUT, EPOLL_CTL_ADD);
  return 0;
}

static void close_conn(conn_t *c) {
  if (c->fd >= 0) {
    close(c->fd);
    if (c->answered) answered_open--;
    else unanswered--;
  }
  c->fd = -1;
  c->state = ST_DONE;
}

static void send_line(conn_t *c, const char *line, size_t len) {
  if (mode != MODE_CONNECT) c->sent_ns = now_ns(); /* connect mode times the whole connection */
  ssize_t n = send(c->fd, line, len, MSG_NOSIGNAL);
  if (n != (ssize_t)len) {
    errors++;
    close_conn(c);
    return;
  }
  c->state = ST_WAITING;
}

static void record(uint64_t ns) {
  hist[bucket_of(ns)]++;
  completed++;
}

/* One event on a connection. Returns 1 when a connection reached its end (connect mode) or failed. */
static int on_event(conn_t *c, uint32_t events) {
  if (c->state == ST_CONNECTING) {
    int err = 0;
    socklen_t len = sizeof err;
    getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0 || (events & (EPOLLERR | EPOLLHUP))) {
      connect_errors++;
      close_conn(c);
      return 1;
    }
    arm(c, EPOLLIN, EPOLL_CTL_MOD);
    if (mode == MODE_CONNECT)
      send_line(c, SHUTDOWN, sizeof SHUTDOWN - 1);
    else
      send_line(c, LINE, sizeof LINE - 1);
    return c->state == ST_DONE;
  }
  char buf[4096];
  ssize_t n = recv(c->fd, buf, sizeof buf, 0);
  if (n <= 0) {
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return 0;
    /* Peer closed: expected after "shutdown" once the reply is in. */
    int expected = mode == MODE_CONNECT && c->state == ST_IDLE;
    if (!expected) errors++;
    close_conn(c);
    return 1;
  }
  if (c->state != ST_WAITING || memchr(buf, '\n', (size_t)n) == NULL) return 0;
  uint64_t t = now_ns();
  if (!c->answered) {
    c->answered = 1;
    unanswered--;
    answered_open++;
  }
  if (mode == MODE_RT && running) {
    if (measuring) record(t - c->sent_ns);
    send_line(c, LINE, sizeof LINE - 1);
  } else if (mode != MODE_CONNECT) {
    c->state = ST_IDLE;
    completed++;
  } else {
    /* Whole connection: connect + line + reply; then wait for the server's close ("shutdown"). */
    if (measuring) record(t - c->sent_ns);
    c->state = ST_IDLE;
  }
  return 0;
}

static int poll_once(int timeout_ms) {
  struct epoll_event evs[1024];
  int n = epoll_wait(epfd, evs, 1024, timeout_ms);
  if (n < 0 && errno != EINTR) die("epoll_wait");
  int ended = 0;
  for (int i = 0; i < n; i++) {
    conn_t *c = evs[i].data.ptr;
    if (c->state == ST_DONE) continue;
    ended += on_event(c, evs[i].events);
  }
  return ended;
}

static int stdin_has_data(void) {
  struct pollfd p = {.fd = 0, .events = POLLIN};
  return poll(&p, 1, 0) > 0;
}

/* Serves events until the parent sends "go WARMUP_MS MEASURE_MS" (bounded by limit_ns); 0 on EOF. */
static int wait_go(uint64_t limit_ns, long *warmup_ms, long *measure_ms) {
  while (!stdin_has_data() && now_ns() < limit_ns) poll_once(10);
  char line[64];
  *warmup_ms = *measure_ms = 0;
  if (!fgets(line, sizeof line, stdin)) return 0;
  return sscanf(line, "go %ld %ld", warmup_ms, measure_ms) == 2;
}

/*
 * After the result: keep every connection open, idle, until the parent closes
 * stdin or sends a line. It stops the server first, so that no server sees a
 * mass of closes (the Java peer's threads spin on a closed connection).
 */
static void wait_end(long limit_ms) {
  struct pollfd p = {.fd = 0, .events = POLLIN};
  poll(&p, 1, (int)limit_ms);
}

static void run_for(long ms) {
  uint64_t end = now_ns() + (uint64_t)ms * 1000000ull;
  while (now_ns() < end) poll_once(10);
}

static void print_result(uint64_t elapsed, uint64_t cpu, long open_now) {
  printf("{\"event\":\"result\",\"completed\":%llu,\"elapsedNs\":%llu,\"cpuNs\":%llu,\"errors\":%llu,"
         "\"connectErrors\":%llu,\"open\":%ld,\"hist\":[",
         (unsigned long long)completed, (unsigned long long)elapsed, (unsigned long long)cpu,
         (unsigned long long)errors, (unsigned long long)connect_errors, open_now);
  int first = 1;
  for (int i = 0; i < NBUCKETS; i++) {
    if (!hist[i]) continue;
    printf("%s[%llu,%llu]", first ? "" : ",", (unsigned long long)value_of(i), (unsigned long long)hist[i]);
    first = 0;
  }
  printf("]}\n");
  fflush(stdout);
}

int main(int argc, char **argv) {
  if (argc != 7 && argc != 8) {
    fprintf(stderr, "usage: loadgen rt|hold|connect HOST PORT CONNS SOURCES TIMEOUT_MS [RAMP]\n");
    return 2;
  }
  mode = !strcmp(argv[1], "rt") ? MODE_RT : !strcmp(argv[1], "hold") ? MODE_HOLD : MODE_CONNECT;
  target.sin_family = AF_INET;
  target.sin_port = htons((uint16_t)atoi(argv[3]));
  if (inet_pton(AF_INET, argv[2], &target.sin_addr) != 1 || (ntohl(target.sin_addr.s_addr) >> 24) != 127) {
    fprintf(stderr, "loadgen: target must be an address in 127.0.0.0/8\n");
    return 2;
  }
  nconns = atol(argv[4]);
  long timeout_ms = atol(argv[6]);
  long ramp = argc == 8 ? atol(argv[7]) : 512;
  for (char *s = strtok(argv[5], ","); s && nsources < 256; s = strtok(NULL, ",")) {
    if (inet_pton(AF_INET, s, &sources[nsources]) != 1 || (ntohl(sources[nsources].s_addr) >> 24) != 127) {
      fprintf(stderr, "loadgen: source %s is not in 127.0.0.0/8\n", s);
      return 2;
    }
    nsources++;
  }
  if (nconns < 1 || nsources < 1) return 2;

  struct rlimit rl = {.rlim_cur = (rlim_t)nconns + 64, .rlim_max = (rlim_t)nconns + 64};
  if (setrlimit(RLIMIT_NOFILE, &rl) < 0) {
    getrlimit(RLIMIT_NOFILE, &rl);
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
  epfd = epoll_create1(EPOLL_CLOEXEC);
  if (epfd < 0) die("epoll_create1");
  conns = calloc((size_t)nconns, sizeof *conns);
  for (long i = 0; i < nconns; i++) conns[i].fd = -1, conns[i].state = ST_DONE;

  uint64_t deadline = now_ns() + (uint64_t)timeout_ms * 1000000ull;
  if (mode == MODE_CONNECT) {
    /* Ready at once; CONNS is the number of connections kept in progress. */
    printf("{\"event\":\"ready\",\"connected\":0,\"failed\":0}\n");
    fflush(stdout);
    long warmup, ms;
    wait_go(deadline, &warmup, &ms);
    printf("{\"event\":\"measuring\"}\n");
    fflush(stdout);
    uint64_t start = now_ns(), c0 = cpu_ns(), end = start + (uint64_t)ms * 1000000ull;
    measuring = 1;
    for (long i = 0; i < nconns; i++)
      if (open_conn(&conns[i]) < 0) connect_errors++;
    while (now_ns() < end) {
      poll_once(10);
      for (long i = 0; i < nconns; i++)
        if (conns[i].state == ST_DONE && now_ns() < end && open_conn(&conns[i]) < 0) connect_errors++;
    }
    print_result(now_ns() - start, cpu_ns() - c0, 0);
    wait_end(timeout_ms);
    return 0;
  }

  /*
   * Ramp until every connection has had its first reply (or failed), at most RAMP unanswered at a
   * time: no more than the server's accept backlog, so that set-up does not wait on SYN retries.
   */
  long next = 0;
  while (now_ns() < deadline) {
    while (next < nconns && unanswered < ramp) {
      if (open_conn(&conns[next]) < 0) connect_errors++;
      next++;
    }
    poll_once(5);
    if (next >= nconns && unanswered == 0) break;
  }
  long ok = answered_open;
  printf("{\"event\":\"ready\",\"connected\":%ld,\"failed\":%ld}\n", ok, nconns - ok);
  fflush(stdout);

  if (mode == MODE_HOLD) {
    /* Hold idle until the parent says so (line or EOF), bounded by TIMEOUT_MS more. */
    uint64_t hold_end = now_ns() + (uint64_t)timeout_ms * 1000000ull;
    while (now_ns() < hold_end && !stdin_has_data()) poll_once(50);
    char line[64];
    if (!fgets(line, sizeof line, stdin)) return 0;
    print_result(0, cpu_ns(), answered_open);
    wait_end(timeout_ms);
    return 0;
  }

  /* rt: every connection sits idle after its first reply; "go" starts the closed loop on all at once. */
  long warmup, ms;
  wait_go(now_ns() + (uint64_t)timeout_ms * 1000000ull, &warmup, &ms);
  running = 1;
  for (long i = 0; i < nconns; i++)
    if (conns[i].state == ST_IDLE) send_line(&conns[i], LINE, sizeof LINE - 1);
  run_for(warmup);
  printf("{\"event\":\"measuring\"}\n");
  fflush(stdout);
  uint64_t c0 = cpu_ns(), start = now_ns();
  measuring = 1;
  run_for(ms);
  uint64_t elapsed = now_ns() - start, cpu = cpu_ns() - c0;
  measuring = 0;
  print_result(elapsed, cpu, answered_open);
  wait_end(timeout_ms);
  return 0;
}
