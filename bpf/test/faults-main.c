// SPDX-License-Identifier: GPL-2.0
/* Standalone "memvirt faults" for testing bpf/ without the rest of the CLI. */
#include "../../user/faults.h"

int main(int argc, char **argv)
{
	return cmd_faults(argc, argv);
}
