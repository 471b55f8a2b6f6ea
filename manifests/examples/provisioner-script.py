#!/usr/bin/env python3
# A small provisioning script: it needs no network (the manual's debootstrap example does), so the
# tests, the benchmark and a demo on a machine without internet run it as it is. The text of the
# ProvisionerScript `small-example` in provisioner.yaml is this file (a test keeps them equal);
# the manual's way to send it is `curl -X POST .../provisioner/script/NAME -d "data=$(cat FILE)"`.
#
# install() is called once the storage template's disks are formatted and mounted under
# temporary_directory (/ there, /var and /var/log on their own disks); it writes the guest's
# hostname and a record of what it was given, and logs on the /var/log disk.
import json
import os


def install(**kwargs):
    vm_name = kwargs["vm_name"]
    root = kwargs["temporary_directory"]
    domain = kwargs.get("domain", "localdomain")

    etc = os.path.join(root, "etc")
    os.makedirs(etc, exist_ok=True)
    with open(os.path.join(etc, "hostname"), "w") as f:
        f.write(f"{vm_name}.{domain}\n")

    # What the provisioner passed, for whoever boots the VM (and for the tests to read back).
    record = {
        "vm_name": vm_name,
        "vm_id": kwargs.get("vm_id"),
        "disks": kwargs.get("disks", []),
        "networks": kwargs.get("networks", []),
        "arguments": {
            k: v
            for k, v in kwargs.items()
            if k not in ("vm_name", "vm_id", "temporary_directory", "disks", "networks")
        },
    }
    with open(os.path.join(etc, "pvc-provisioned.json"), "w") as f:
        json.dump(record, f, indent=2, sort_keys=True, default=str)
        f.write("\n")

    log_dir = os.path.join(root, "var", "log")
    os.makedirs(log_dir, exist_ok=True)
    with open(os.path.join(log_dir, "pvc-provision.log"), "a") as f:
        f.write(f"provisioned {vm_name} with {len(record['disks'])} disks\n")

    print(
        f"provisioned {vm_name}: {len(record['disks'])} disks, "
        f"{len(record['networks'])} networks, hostname {vm_name}.{domain}"
    )
