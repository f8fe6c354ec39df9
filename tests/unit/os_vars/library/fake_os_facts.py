# SPDX-License-Identifier: Apache-2.0
"""Test module: returns the facts it is given as ansible_facts, as setup would (test_os_vars.py)."""

from ansible.module_utils.basic import AnsibleModule


def main():
    spec = {"facts": {"type": "dict", "required": True}}
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True)
    module.exit_json(changed=False, ansible_facts=module.params["facts"])


if __name__ == "__main__":
    main()
