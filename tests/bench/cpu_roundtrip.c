/*
 * Measures the round trip of one cache line between two CPUs: the cost
 * vigild's rx and engine lcores pay for each line they hand over. A virtual
 * machine's host may move its two CPUs between cores that share a cache and
 * cores that do not, which changes this time several times over. So the
 * capture benchmark prints it next to each vigild run.
 *
 * Usage: vigil-bench-roundtrip CPU_A CPU_B
 * Prints "round_trip_ns=N", the median of five passes of 100 000 round
 * trips each.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ROUNDS 100000
#define PASSES 5

struct shared {
	_Alignas(64) _Atomic uint64_t turn;
	_Alignas(64) _Atomic int ready; /* 1 when pinned, -1 when that failed */
	int cpu;
	int error;
};

static int
pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

/* Replies to each odd turn with the next even one, on the other CPU. */
static void *
answer(void *arg)
{
	struct shared *s = arg;
	uint64_t turn;

	s->error = pin(s->cpu);
	atomic_store(&s->ready, s->error == 0 ? 1 : -1);
	if (s->error != 0)
		return NULL;
	for (turn = 1; turn < 2ull * ROUNDS * PASSES; turn += 2) {
		while (atomic_load_explicit(&s->turn, memory_order_acquire) !=
		       turn)
			;
		atomic_store_explicit(&s->turn, turn + 1,
				      memory_order_release);
	}
	return NULL;
}

static double
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int
compare(const void *a, const void *b)
{
	double x = *(const double *)a;
	double y = *(const double *)b;

	return (x > y) - (x < y);
}

static int
parse_cpu(const char *text, int *cpu)
{
	char *end;
	long value;

	errno = 0;
	value = strtol(text, &end, 10);
	if (errno != 0 || end == text || *end != '\0' || value < 0 ||
	    value >= CPU_SETSIZE)
		return -1;
	*cpu = (int)value;
	return 0;
}

int
main(int argc, char **argv)
{
	static struct shared s;
	double pass_ns[PASSES];
	pthread_t thread;
	uint64_t turn = 0;
	int cpu_a;
	int err;
	int p;

	if (argc != 3 || parse_cpu(argv[1], &cpu_a) != 0 ||
	    parse_cpu(argv[2], &s.cpu) != 0) {
		fprintf(stderr, "usage: vigil-bench-roundtrip CPU_A CPU_B\n");
		return 2;
	}
	err = pin(cpu_a);
	if (err != 0) {
		fprintf(stderr, "error: cannot pin to CPU %d: %s\n", cpu_a,
			strerror(err));
		return 1;
	}
	err = pthread_create(&thread, NULL, answer, &s);
	if (err != 0) {
		fprintf(stderr, "error: pthread_create failed: %s\n",
			strerror(err));
		return 1;
	}
	while (atomic_load(&s.ready) == 0)
		;
	if (atomic_load(&s.ready) < 0) {
		pthread_join(thread, NULL);
		fprintf(stderr, "error: cannot pin to CPU %d: %s\n", s.cpu,
			strerror(s.error));
		return 1;
	}
	for (p = 0; p < PASSES; p++) {
		double start = now_ns();
		int r;

		for (r = 0; r < ROUNDS; r++) {
			while (atomic_load_explicit(&s.turn,
						    memory_order_acquire) != turn)
				;
			atomic_store_explicit(&s.turn, turn + 1,
					      memory_order_release);
			turn += 2;
		}
		pass_ns[p] = (now_ns() - start) / ROUNDS;
	}
	pthread_join(thread, NULL);
	qsort(pass_ns, PASSES, sizeof(pass_ns[0]), compare);
	printf("round_trip_ns=%.0f\n", pass_ns[PASSES / 2]);
	return 0;
}
