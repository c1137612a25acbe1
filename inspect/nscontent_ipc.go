package inspect

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"sort"
	"strconv"

	"golang.org/x/sys/unix"
)

// IPCContent is what an IPC namespace holds: System V IPC objects and
// POSIX message queues. See ipc_namespaces(7), sysvipc(7), mq_overview(7).
type IPCContent struct {
	// SharedMemory is the number of System V shared memory segments and
	// SharedMemoryBytes their summed size (/proc/sysvipc/shm).
	SharedMemory      int   `json:"shm_segments"`
	SharedMemoryBytes int64 `json:"shm_bytes"`
	// SemaphoreSets is the number of System V semaphore sets
	// (/proc/sysvipc/sem).
	SemaphoreSets int `json:"sem_sets"`
	// MessageQueues is the number of System V message queues and Messages
	// the messages waiting in them (/proc/sysvipc/msg).
	MessageQueues int   `json:"msg_queues"`
	Messages      int64 `json:"msg_messages"`
	// POSIXQueues is the number of POSIX message queues (the entries of
	// the namespace's mqueue file system), -1 when they could not be
	// counted (POSIXQueuesError says why); POSIXQueueNames lists up to
	// maxQueueNames of them.
	POSIXQueues      int      `json:"posix_mqueues"`
	POSIXQueueNames  []string `json:"posix_mqueue_names,omitempty"`
	POSIXQueuesError string   `json:"posix_mqueues_error,omitempty"`
}

// maxQueueNames caps the POSIX queue names listed.
const maxQueueNames = 50

// ParseSysVIPC parses one /proc/sysvipc file (shm, sem or msg): a header
// line naming the columns, then one line per object. It returns how many
// objects there are and the sum of the column named sum ("" for none).
func ParseSysVIPC(data []byte, sum string) (count int, total int64, err error) {
	col := -1
	header := true
	for line := range bytes.SplitSeq(data, []byte{'\n'}) {
		f := bytes.Fields(line)
		if len(f) == 0 {
			continue
		}
		if header {
			header = false
			if len(f) < 3 || string(f[0]) != "key" {
				return 0, 0, fmt.Errorf("sysvipc header %q: want columns starting with key", line)
			}
			for i, name := range f {
				if sum != "" && string(name) == sum {
					col = i
				}
			}
			if sum != "" && col < 0 {
				return 0, 0, fmt.Errorf("sysvipc header %q has no %s column", line, sum)
			}
			continue
		}
		count++
		if col < 0 {
			continue
		}
		if col >= len(f) {
			return 0, 0, fmt.Errorf("sysvipc line %q: no %s column", line, sum)
		}
		v, err := strconv.ParseInt(string(f[col]), 10, 64)
		if err != nil || v < 0 {
			return 0, 0, fmt.Errorf("sysvipc line %q: %s %q is not a count", line, sum, f[col])
		}
		total += v
	}
	if header {
		return 0, 0, errors.New("sysvipc file is empty (no header line)")
	}
	return count, total, nil
}

// readIPCContent joins the namespace from a throw-away thread and reads
// there: /proc/sysvipc/* show the IPC namespace of the thread that opens
// them, and a new mqueue file system context belongs to the IPC namespace
// of the thread that creates it.
func (s *Scanner) readIPCContent(r *nsReach) (*IPCContent, error) {
	if r.fd < 0 {
		return nil, ErrNotLive
	}
	c := &IPCContent{}
	var shm, sem, msg []byte
	var mqNames []string
	var mqErr error
	err := joinedThread(r.fd, IPCNS, func() error {
		var err error
		for _, f := range []struct {
			name string
			dst  *[]byte
		}{{"shm", &shm}, {"sem", &sem}, {"msg", &msg}} {
			var buf []byte
			if *f.dst, err = s.readFileCapped(s.cfg.procRoot+"/sysvipc/"+f.name, &buf); err != nil {
				return err
			}
		}
		mqNames, mqErr = mqueueNames()
		return nil
	})
	if err != nil {
		return nil, err
	}
	if c.SharedMemory, c.SharedMemoryBytes, err = ParseSysVIPC(shm, "size"); err != nil {
		return nil, fmt.Errorf("/proc/sysvipc/shm: %w", err)
	}
	if c.SemaphoreSets, _, err = ParseSysVIPC(sem, ""); err != nil {
		return nil, fmt.Errorf("/proc/sysvipc/sem: %w", err)
	}
	if c.MessageQueues, c.Messages, err = ParseSysVIPC(msg, "qnum"); err != nil {
		return nil, fmt.Errorf("/proc/sysvipc/msg: %w", err)
	}
	c.POSIXQueues = len(mqNames)
	if mqErr != nil {
		c.POSIXQueues, c.POSIXQueuesError = -1, mqErr.Error()
	}
	sort.Strings(mqNames)
	if len(mqNames) > maxQueueNames {
		mqNames = mqNames[:maxQueueNames]
	}
	c.POSIXQueueNames = mqNames
	return c, nil
}

// mqueueNames lists the POSIX message queues of the calling thread's IPC
// namespace: it makes an mqueue file system context (fsopen), which
// belongs to that namespace, mounts it nowhere (fsmount gives a detached
// mount, gone when its fd closes) and reads its root directory. Nothing is
// mounted in any mount namespace. See fsopen(2), fsmount(2).
func mqueueNames() ([]string, error) {
	fsfd, err := unix.Fsopen("mqueue", unix.FSOPEN_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("fsopen mqueue: %w", err)
	}
	defer unix.Close(fsfd)
	if err := unix.FsconfigCreate(fsfd); err != nil {
		return nil, fmt.Errorf("create mqueue superblock: %w", err)
	}
	mfd, err := unix.Fsmount(fsfd, unix.FSMOUNT_CLOEXEC, unix.MOUNT_ATTR_RDONLY|unix.MOUNT_ATTR_NOEXEC|unix.MOUNT_ATTR_NOSUID|unix.MOUNT_ATTR_NODEV)
	if err != nil {
		return nil, fmt.Errorf("fsmount mqueue: %w", err)
	}
	defer unix.Close(mfd)
	dfd, err := openAt(mfd, ".", unix.O_RDONLY|unix.O_DIRECTORY)
	if err != nil {
		return nil, fmt.Errorf("open the mqueue root: %w", err)
	}
	dir := os.NewFile(uintptr(dfd), "mqueue")
	defer dir.Close()
	names, err := dir.Readdirnames(-1)
	if err != nil {
		return nil, fmt.Errorf("list the mqueue root: %w", err)
	}
	return names, nil
}
