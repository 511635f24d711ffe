# sig_enforce_scenario.sh — the VM scenario of DriverkitSigning (run by
# scripts/vm/init.sh as `sh /scenario`; the kernel is booted with
# module.sig_enforce=1). Three loads, each reported as
#   KESTREL-VM: LOAD <what> <exit code> uptime=<s>
# with the loader's message in section load.<what>:
#   unsigned  /kestrel.ko as built (no signature)
#   operator  /kestrel-signed.ko, signed with sign-file and a key the test
#             made (the operator's key; not enrolled in any kernel keyring)
#   debian    /modules/crc7.ko, signed by Debian's build key (built in)
# then attempts to enroll the operator's certificate (/operator.der) into
# the trusted keyrings with keyctl, then the keyrings (/proc/keys) and dmesg.
. /lib/kestrel-vm.sh  # now, section, wait_for, lines, start_collector, ... (scripts/vm/scenario-lib.sh)

echo "KESTREL-VM: BEGIN facts"
echo "sig_enforce=$(cat /sys/module/module/parameters/sig_enforce)"
echo "cmdline=$(cat /proc/cmdline)"
echo "KESTREL-VM: END facts"

load() {
  what=$1
  file=$2
  module_loader finit "$file" > /tmp/load.$what 2>&1
  echo "KESTREL-VM: LOAD $what $? uptime=$(now)"
  section load.$what /tmp/load.$what
}
load unsigned /kestrel.ko
load operator /kestrel-signed.ko
load debian /modules/crc7.ko

# Enrolling the operator key at run time: add its certificate to the
# keyrings module signatures are checked against. Each is reported as
#   KESTREL-VM: ENROLL <keyring> <exit code> uptime=<s>
# (.secondary_trusted_keys takes only certificates signed by a key it or
# .builtin_trusted_keys holds; the other two are not writable at all).
for ring in .secondary_trusted_keys .builtin_trusted_keys .machine; do
  id=$(grep " keyring   $ring: " /proc/keys | cut -d' ' -f1)
  keyctl padd asymmetric kestrel-operator "0x$id" < /operator.der > /tmp/enroll.$ring 2>&1
  echo "KESTREL-VM: ENROLL $ring $? uptime=$(now)"
  section enroll.$ring /tmp/enroll.$ring
done
# The control: the same certificate parses and is accepted by a keyring
# without a trust restriction (root's user keyring), so the refusals above
# are about trust, not about the certificate.
keyctl padd asymmetric kestrel-operator @u < /operator.der > /tmp/enroll.user 2>&1
echo "KESTREL-VM: ENROLL user $? uptime=$(now)"
section enroll.user /tmp/enroll.user
cat /proc/keys > /tmp/keys
section keys /tmp/keys
dmesg > /tmp/dmesg
section dmesg /tmp/dmesg
