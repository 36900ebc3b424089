/* SPDX-License-Identifier: MIT */
/* A real program: `python3 -m http.server` (threaded) serving a 300 KB file, with a client
 * OUTSIDE the dumped tree connected mid-request: the request line and a header are sent, the
 * blank line that ends the request is not, so a server thread is blocked reading it at the dump.
 * After the restore the client sends the blank line and must receive the complete, correct
 * response (status 200, Content-Length, every byte of the file) on the same connection. */
#include "caselib.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define BODY (300 * 1024)
static char dir[96];

static char body_byte(size_t i)
{
	return "abcdefghijklmnopqrstuvwxyz0123456789\n"[(i * 7 + i / 1000) % 37];
}

static void put_file(const char *name, const char *text)
{
	char p[160];
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	FILE *f = fopen(p, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

static int read_small(const char *name, char *buf, size_t len)
{
	char p[160];
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	return case_read_file(p, buf, len) > 0;
}

static volatile sig_atomic_t go;
static void on_usr1(int s)
{
	(void)s;
	go = 1;
}

static const char *fetch_rest(int fd)
{
	static char resp[BODY + 4096];
	size_t got = 0;
	if (send(fd, "\r\n", 2, 0) != 2)
		return "send failed";
	for (ssize_t n;
	     got < sizeof(resp) && (n = recv(fd, resp + got, sizeof(resp) - got, 0)) > 0;)
		got += n;
	char *end = memmem(resp, got, "\r\n\r\n", 4);
	if (!end || strncmp(resp, "HTTP/1.0 200", 12))
		return "no 200 response";
	if (!memmem(resp, end - resp, "Content-Length: 307200", 22))
		return "wrong Content-Length";
	char *b = end + 4;
	if ((size_t)(resp + got - b) != BODY)
		return "body length differs";
	for (size_t i = 0; i < BODY; i++)
		if (b[i] != body_byte(i))
			return "body bytes differ";
	return NULL;
}

/* Outside the tree: connect, send most of the request, wait for SIGUSR1, finish it, judge. */
static void client_main(int port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sigset_t m, old;
	setsid();
	alarm(60);
	sigemptyset(&m);
	sigaddset(&m, SIGUSR1);
	sigprocmask(SIG_BLOCK, &m, &old);
	signal(SIGUSR1, on_usr1);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	const char *req = "GET /index.txt HTTP/1.1\r\nHost: 127.0.0.1\r\n";
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) ||
	    send(fd, req, strlen(req), 0) != (ssize_t)strlen(req))
		_exit(1);
	char pid[32];
	snprintf(pid, sizeof(pid), "%d\n", getpid());
	put_file("client.pid", pid);
	while (!go)
		sigsuspend(&old);
	const char *err = fetch_rest(fd);
	put_file("verdict", err ? err : "OK");
	_exit(0);
}

static int sockets_of(pid_t pid)
{
	char p[64], l[64];
	struct dirent *e;
	int n = 0;
	snprintf(p, sizeof(p), "/proc/%d/fd", pid);
	DIR *d = opendir(p);
	while (d && (e = readdir(d))) {
		char q[400];
		snprintf(q, sizeof(q), "%s/%s", p, e->d_name);
		ssize_t k = readlink(q, l, sizeof(l) - 1);
		n += k > 0 && !strncmp(l, "socket:", 7);
	}
	if (d)
		closedir(d);
	return n;
}

static int wait_for(int (*cond)(void), int ms)
{
	for (; ms > 0; ms -= 10, usleep(10000))
		if (cond())
			return 1;
	return 0;
}

static pid_t server;
static char tmp[256];
static int port_known(void)
{
	return read_small("server.out", tmp, sizeof(tmp)) && strstr(tmp, " port ");
}
static int client_known(void)
{
	return read_small("client.pid", tmp, sizeof(tmp));
}
static int accepted(void)
{
	return sockets_of(server) >= 2;
}
static int verdict_known(void)
{
	return read_small("verdict", tmp, sizeof(tmp));
}

int main(void)
{
	char path[160], *body = malloc(BODY);
	case_init();
	snprintf(dir, sizeof(dir), "/tmp/ferry-case-http.%d", getpid());
	mkdir(dir, 0700);
	for (size_t i = 0; i < BODY; i++)
		body[i] = body_byte(i);
	snprintf(path, sizeof(path), "%s/index.txt", dir);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, body, BODY) != BODY)
		case_fail("writing the file: %m");
	close(fd);
	server = fork();
	if (server == 0) {
		snprintf(path, sizeof(path), "%s/server.out", dir);
		int out = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600),
		    nul = open("/dev/null", O_RDWR);
		dup2(nul, 0);
		dup2(out, 1);
		dup2(out, 2);
		for (int i = 3; i < 1024; i++)
			close(i);
		execlp("python3", "python3", "-u", "-m", "http.server", "--bind", "127.0.0.1",
		       "--directory", dir, "0", (char *)NULL);
		_exit(127);
	}
	if (!wait_for(port_known, 5000))
		case_fail("python3 http.server did not start: %s", tmp);
	int port = atoi(strstr(tmp, " port ") + 6);
	pid_t mid = fork();
	if (mid == 0) {
		if (fork() == 0)
			client_main(port);
		_exit(0);
	}
	waitpid(mid, NULL, 0);
	if (!wait_for(client_known, 5000) || !wait_for(accepted, 5000))
		case_fail("the client did not connect");
	pid_t client = atoi(tmp);
	usleep(100000); /* the handler thread reaches its read of the request */
	case_ready();
	case_wait();

	kill(client, SIGUSR1);
	int ok = wait_for(verdict_known, 10000);
	kill(server, SIGKILL);
	waitpid(server, NULL, 0);
	char cmd[200];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0 || !ok)
		case_fail("no verdict from the client");
	if (strcmp(tmp, "OK"))
		case_fail("client: %s", tmp);
	case_pass();
}
