package labproto

// SSHSpecPath is where kernlab -ssh puts the guest's SSH instructions;
// labinit starts networking and sshd after the tests when the file is
// there, and keeps the guest up until the host releases it.
const SSHSpecPath = "/lab/ssh/ssh.json"

// SSHSpec tells labinit how to make the guest reachable over SSH through
// QEMU's user networking: the NIC driver to load, the address, sshd and
// its config, and how the host ends the session.
type SSHSpec struct {
	// Modules are the NIC driver's module files, in load order.
	Modules []string `json:"modules"`
	// Interface, Address (CIDR) and Gateway configure the network.
	Interface string `json:"interface"`
	Address   string `json:"address"`
	Gateway   string `json:"gateway"`
	// SSHD is the sshd binary; Config its sshd_config.
	SSHD   string `json:"sshd"`
	Config string `json:"config"`
	// Release is the file the host creates (over SSH) when it is done;
	// Hold bounds the wait for it.
	Release string   `json:"release"`
	Hold    Duration `json:"hold"`
}

// The environment kernlab -ssh gives the host's TestLabSSH tests.
const (
	// EnvSSHConfig is an ssh_config file that reaches the guest.
	EnvSSHConfig = "NSCOPE_KERNLAB_SSH_CONFIG"
	// EnvSSHHost is the guest's name in that file.
	EnvSSHHost = "NSCOPE_KERNLAB_SSH_HOST"
)
