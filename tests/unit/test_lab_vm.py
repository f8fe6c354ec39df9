"""The VM tier's pure parts: the QEMU command line and the identity a VM is told through fw_cfg."""

from pathlib import Path

from fastpath.lab import fleet, qemu, ssh, vm


def _argv(accel: str, queues: int = 4) -> list[str]:
    return qemu.vm_argv(name="fp3-srv1", accel=accel, vcpus=4, memory=1536, queues=queues,
                        bootloader=Path("/i/grub.lnx"), identity=Path("/d/identity"),
                        disk=Path("/d/disk.qcow2"), tap="fp3-srv1", mac="02:66:70:03:00:0b",
                        console=Path("/d/console.log"))


def test_tcg_runs_one_thread_per_vcpu_and_kvm_uses_the_host_cpu():
    assert _argv("tcg")[3:5] == ["-accel", "tcg,thread=multi"]
    assert _argv("kvm")[3:7] == ["-accel", "kvm", "-cpu", "host"]


def test_the_nic_has_a_vector_per_queue_and_direction_plus_two():
    argv = _argv("tcg", queues=3)
    assert "tap,id=n0,ifname=fp3-srv1,script=no,downscript=no,queues=3" in argv
    assert "virtio-net-pci,netdev=n0,mac=02:66:70:03:00:0b,mq=on,vectors=8" in argv
    assert argv[argv.index("-serial") + 1] == "file:/d/console.log"


def test_queues_default_to_one_per_vcpu():
    assert vm.validate_shape(4, 1536, None).nic_queues == 4
    assert vm.validate_shape(4, 1536, 2).nic_queues == 2


def test_a_vm_is_told_its_name_address_gateway_peers_and_key(tmp_path, monkeypatch):
    key = tmp_path / "id"
    (tmp_path / "id.pub").write_text("ssh-ed25519 AAAA lab\n")
    monkeypatch.setattr(ssh.paths, "SSH_KEY", key)
    hosts = fleet.plan(3, 3)
    line = vm.identity(hosts[0], hosts)
    assert line.startswith("fastpath.name=") and line.endswith("\n") and "root=" not in line
    assert "fastpath.name=srv1 fastpath.ip=198.18.3.11/24 fastpath.gw=198.18.3.1" in line
    assert f"fastpath.mac={hosts[0].mac}" in line
    assert "fastpath.hosts=srv1=198.18.3.11,srv2=198.18.3.12,cli1=198.18.3.101" in line
    assert "fastpath.key=c3NoLWVkMjU1MTkgQUFBQSBsYWIK" in line  # base64 of the public key


def test_the_vm_boots_grub_and_reads_its_identity_from_fw_cfg():
    argv = _argv("tcg")
    assert argv[argv.index("-kernel") + 1] == "/i/grub.lnx"
    assert "-append" not in argv and "-initrd" not in argv  # the command line is the guest's (GRUB's)
    assert argv[argv.index("-fw_cfg") + 1] == "name=opt/fastpath/identity,file=/d/identity"
