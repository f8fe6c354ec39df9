"""The tune stage left its stamp (fastpath.host.stage_stamp): root's only, naming the stage, with the
plan deploy and smoke read when a later run skips tune, and a fingerprint of what tune manages."""

import json

STAMP = "/var/lib/fastpath/stamps/tune.json"


def test_the_stamp_is_roots_only(host):
    stamp = host.file(STAMP)
    assert stamp.is_file and stamp.user == "root" and stamp.mode == 0o600


def test_the_stamp_keeps_the_plan_and_what_tune_manages(host):
    stamp = json.loads(host.file(STAMP).content_string)
    assert stamp["stage"] == "tune"
    assert stamp["outputs"]["cpu_partition_plan"]["workers"]
    assert "path:/sys/class/net/eth0/queues/tx-0/xps_cpus" in stamp["state"]
    assert "cmd:ethtool -l eth0" in stamp["state"]
    assert "path:/etc/systemd/system/fastpath.slice" in stamp["state"]
