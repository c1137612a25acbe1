package inspect

import (
	"testing"

	"github.com/nscope/nscope/inspect/internal/bpf"
)

// TestNSSlotsMatchNSTypes: decodeTask takes a task record's namespace
// slots (enum ns_slot in records.h) for NSType values.
func TestNSSlotsMatchNSTypes(t *testing.T) {
	for _, tc := range []struct {
		slot bpf.TasksNsSlot
		typ  NSType
	}{
		{bpf.TasksNsSlotNS_MNT, MntNS}, {bpf.TasksNsSlotNS_PID, PIDNS}, {bpf.TasksNsSlotNS_NET, NetNS},
		{bpf.TasksNsSlotNS_IPC, IPCNS}, {bpf.TasksNsSlotNS_UTS, UTSNS}, {bpf.TasksNsSlotNS_USER, UserNS},
		{bpf.TasksNsSlotNS_CGROUP, CgroupNS}, {bpf.TasksNsSlotNS_TIME, TimeNS},
	} {
		if int(tc.slot) != int(tc.typ) {
			t.Errorf("slot %d holds %s, whose NSType is %d", tc.slot, tc.typ, tc.typ)
		}
	}
	if bpf.TasksNsSlotNS_PID_FOR_CHILDREN != bpf.TasksNsSlot(NumNSTypes) || bpf.TasksNsSlotNS_SLOTS != bpf.TasksNsSlot(NumNSTypes+2) {
		t.Errorf("the for-children slots are not the two after the %d namespace types", NumNSTypes)
	}
}
