package control

import (
	"errors"
	"fmt"
	"math"
	"strconv"

	"golang.org/x/sys/unix"

	"github.com/nscope/nscope/inspect"
	"github.com/nscope/nscope/procview"
)

// memswFile is cgroup v1's memory+swap limit. The kernel refuses a
// memory.limit_in_bytes above it (EINVAL) and a memsw limit below
// memory.limit_in_bytes, so a memory change that crosses it needs both
// files written in the right order. It exists only with swap accounting
// (CONFIG_MEMCG_SWAP and swapaccount=1). See cgroup-v1/memory.rst 2.4.
const memswFile = "memory.memsw.limit_in_bytes"

// companionFiles are written only as part of a planned change to another
// file (never as a raw FILE=VALUE assignment), by cgroup version.
var companionFiles = map[string]int{memswFile: 1}

// planV1Memory adds memory.limit_in_bytes and, when a memory+swap limit is
// set, memory.memsw.limit_in_bytes with the same swap allowance (memsw
// minus memory) as before: docker's --memory-swap default is twice the
// memory, so a 64 MiB container has 128 MiB of memory+swap, and raising
// its memory to 256 MiB must raise memsw to 320 MiB first. The memsw write
// comes first when it rises and last when it falls, so the kernel never
// sees memory above memory+swap.
func (e *Editor) planV1Memory(p *Plan, h *inspect.Hierarchy, t Target, dir string, newMem int64) error {
	memValue := "-1"
	if newMem != inspect.Unlimited {
		memValue = strconv.FormatInt(newMem, 10)
	}
	swRaw, err := e.read(dir, memswFile)
	if errors.Is(err, unix.ENOENT) {
		// No swap accounting: nothing to keep in step.
		return e.add(p, h, t, dir, "memory.limit_in_bytes", memValue)
	}
	if err != nil {
		return err
	}
	memRaw, err := e.read(dir, "memory.limit_in_bytes")
	if err != nil {
		return err
	}
	oldMem, ok1 := normLimit(memRaw)
	oldSw, ok2 := normLimit(swRaw)
	if !ok1 || !ok2 || oldSw == inspect.Unlimited {
		// Unlimited memory+swap takes any memory limit.
		return e.add(p, h, t, dir, "memory.limit_in_bytes", memValue)
	}
	newSw := memswFor(oldMem, oldSw, newMem)
	swValue := "-1"
	if newSw != inspect.Unlimited {
		swValue = strconv.FormatInt(newSw, 10)
	}
	if sameValue(memswFile, swRaw, swValue) {
		return e.add(p, h, t, dir, "memory.limit_in_bytes", memValue)
	}
	rising := newSw == inspect.Unlimited || newSw > oldSw
	p.Notes = append(p.Notes, memswNote(oldMem, oldSw, newSw, rising))
	if rising {
		if err := e.add(p, h, t, dir, memswFile, swValue); err != nil {
			return err
		}
		return e.add(p, h, t, dir, "memory.limit_in_bytes", memValue)
	}
	if err := e.add(p, h, t, dir, "memory.limit_in_bytes", memValue); err != nil {
		return err
	}
	return e.add(p, h, t, dir, memswFile, swValue)
}

// memswFor returns the memory+swap limit that keeps the swap allowance of
// (oldMem, oldSw) for a new memory limit: unlimited when the memory is,
// or when the sum overflows.
func memswFor(oldMem, oldSw, newMem int64) int64 {
	if newMem == inspect.Unlimited {
		return inspect.Unlimited
	}
	allowance := max(oldSw-oldMem, 0)
	if newMem > math.MaxInt64-allowance {
		return inspect.Unlimited
	}
	return newMem + allowance
}

// memswNote says why memsw changes too, and in which order.
func memswNote(oldMem, oldSw, newSw int64, rising bool) string {
	order := "after memory.limit_in_bytes, since it falls"
	if rising {
		order = "before memory.limit_in_bytes, since it rises"
	}
	return fmt.Sprintf("%s (memory+swap) %s → %s, written %s: the kernel keeps memory+swap at or above memory; the %s of swap allowed before is kept",
		memswFile, procview.FormatBytes(oldSw), memLimitWords(newSw), order, procview.FormatBytes(max(oldSw-oldMem, 0)))
}

// memLimitWords renders a memory limit for notes: a size or "unlimited".
func memLimitWords(v int64) string {
	if v == inspect.Unlimited {
		return "unlimited"
	}
	return procview.FormatBytes(v)
}
