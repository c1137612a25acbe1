/*
 * read_rss: a process's resident pages, file, anon and shmem, as
 * get_mm_rss adds them for /proc/PID/stat. The process and counter
 * iterators both read them.
 */
#ifndef NSCOPE_RSS_H
#define NSCOPE_RSS_H

/* The counters get_mm_rss adds (include/linux/mm_types_task.h; these
 * values since 4.5). */
enum {
	RSS_FILEPAGES = 0,
	RSS_ANONPAGES = 1,
	RSS_SHMEMPAGES = 3,
};

#pragma clang attribute push(__attribute__((preserve_access_index)), apply_to = record)
/* Before 6.2 the counters were atomic_long_t in a struct mm_rss_stat;
 * since, they are struct percpu_counter, read here as
 * percpu_counter_read_positive does, without the per-CPU deltas. */
struct mm_rss_stat___pre62 {
	struct {
		long counter;
	} count[4];
};
struct mm_struct___pre62 {
	struct mm_rss_stat___pre62 rss_stat;
};
#pragma clang attribute pop

/* Copied, not loaded: 6.1's verifier cannot walk an array of typedef'd
 * structs (atomic_long_t) with a load. */
static __always_inline void read_rss(struct mm_struct *mm, __u64 rss[3])
{
	struct mm_struct___pre62 *old = (void *)mm;

	if (bpf_core_field_exists(old->rss_stat.count)) {
		BPF_CORE_READ_INTO(&rss[0], old, rss_stat.count[RSS_FILEPAGES].counter);
		BPF_CORE_READ_INTO(&rss[1], old, rss_stat.count[RSS_ANONPAGES].counter);
		BPF_CORE_READ_INTO(&rss[2], old, rss_stat.count[RSS_SHMEMPAGES].counter);
	} else {
		BPF_CORE_READ_INTO(&rss[0], mm, rss_stat[RSS_FILEPAGES].count);
		BPF_CORE_READ_INTO(&rss[1], mm, rss_stat[RSS_ANONPAGES].count);
		BPF_CORE_READ_INTO(&rss[2], mm, rss_stat[RSS_SHMEMPAGES].count);
	}
}

#endif
