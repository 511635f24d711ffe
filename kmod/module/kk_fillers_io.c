// SPDX-License-Identifier: GPL-2.0
/*
 * kk_fillers_io.c — data I/O: the read/write and send/recv families.
 *
 * Every record carries exactly the params of its row in events.def, in
 * the same order and encoding as the eBPF probe's fillers
 * (ebpf/bpf/fillers_io.bpf.h); what cannot be read is empty.
 */
#include "kk_fillers.h"
