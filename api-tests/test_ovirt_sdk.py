"""Vireo's oVirt-compatible REST API driven by the real oVirt Python SDK (ovirtsdk4), unchanged.

Run by scripts/api-test.sh (part of `make test`) against a freshly started Vireo with its libvirt
test-driver host. The tests run in order (numbered) and share one High Performance VM.

Environment: VIREO_API_URL (…/ovirt-engine/api), VIREO_API_PASSWORD (admin's password).
"""

import json
import os
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request

import ovirtsdk4 as sdk
import ovirtsdk4.types as types

URL = os.environ["VIREO_API_URL"]
PASSWORD = os.environ["VIREO_API_PASSWORD"]
ORIGIN = URL.split("/ovirt-engine")[0]
GiB = 1024**3
VM_NAME = "hp-api-1"


def connect(**extra):
    return sdk.Connection(url=URL, username="admin@internal", password=PASSWORD, **extra)


def raw(method, path, body=None, token=None, content_type="application/xml"):
    """One HTTP request outside the SDK (for what the SDK cannot send). Returns (status, body)."""
    data = body.encode() if isinstance(body, str) else body
    req = urllib.request.Request(URL + path, data=data, method=method)
    req.add_header("Content-Type", content_type)
    req.add_header("Accept", "application/xml")
    if token:
        req.add_header("Authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(req) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def add_user(name, role, password):
    """A Vireo user made the way the Users page makes one: the admin's web session and the add_user
    server function (the oVirt API has no user management of Vireo's kind)."""
    import http.cookiejar

    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    login = urllib.parse.urlencode({"username": "admin", "password": PASSWORD, "next": "/"}).encode()
    opener.open(ORIGIN + "/login", data=login).read()
    form = urllib.parse.urlencode({"username": name, "role": role, "password": password, "confirm": password}).encode()
    with opener.open(ORIGIN + "/api/add_user", data=form) as r:
        assert r.status == 200, r.status


def sso_token():
    form = urllib.parse.urlencode(
        {"grant_type": "password", "scope": "ovirt-app-api", "username": "admin@internal", "password": PASSWORD}
    ).encode()
    with urllib.request.urlopen(ORIGIN + "/ovirt-engine/sso/oauth/token", data=form) as r:
        return json.loads(r.read())["access_token"]


class OvirtSdkAgainstVireo(unittest.TestCase):
    conn = None
    vm_id = None

    @classmethod
    def setUpClass(cls):
        cls.conn = connect()

    @classmethod
    def tearDownClass(cls):
        cls.conn.close()

    @property
    def system(self):
        return self.conn.system_service()

    def vm_service(self):
        return self.system.vms_service().vm_service(type(self).vm_id)

    def wait_for_status(self, status, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            vm = self.vm_service().get()
            if vm.status == status:
                return vm
            time.sleep(0.25)
        self.fail(f"VM did not reach {status} (last: {vm.status})")

    def default_host(self):
        return self.system.hosts_service().list()[0]

    def vm_names(self, **kwargs):
        return [v.name for v in self.system.vms_service().list(**kwargs)]

    # --- login, root, clusters, hosts ------------------------------------------------------------

    def test_01_logs_in_and_reads_the_api_root(self):
        self.assertTrue(self.conn.test(raise_exception=True))
        api = self.system.get()
        self.assertEqual(api.product_info.version.major, 4)
        self.assertGreaterEqual(api.product_info.version.minor, 2)
        self.assertEqual(api.special_objects.blank_template.id, "00000000-0000-0000-0000-000000000000")
        self.assertGreaterEqual(api.summary.hosts.total, 1)

    def test_02_a_wrong_password_is_an_auth_error(self):
        bad = sdk.Connection(url=URL, username="admin@internal", password="wrong-password")
        with self.assertRaises(sdk.AuthError) as caught:
            bad.test(raise_exception=True)
        self.assertIn("access_denied", str(caught.exception))
        bad.close(logout=False)

    def test_03_lists_clusters_and_hosts_with_numa_nodes(self):
        clusters = self.system.clusters_service().list()
        self.assertIn("Default", [c.name for c in clusters])
        for search in ("name=Default", 'name="Default"'):
            found = self.system.clusters_service().list(search=search)
            self.assertEqual([c.name for c in found], ["Default"], search)
        self.assertEqual(found[0].version.major, 4)
        host = self.default_host()
        self.assertEqual(host.status, types.HostStatus.UP)
        self.assertEqual(host.cpu.topology.sockets, 2)
        self.assertGreater(host.memory, 0)
        nodes = self.system.hosts_service().host_service(host.id).numa_nodes_service().list()
        self.assertEqual(len(nodes), 2)
        self.assertEqual(sorted(n.index for n in nodes), [0, 1])
        self.assertEqual(len(nodes[0].cpu.cores), 16)
        self.assertEqual(nodes[0].memory, 65536)  # MiB

    def test_03a_a_cluster_as_the_sdk_types_read_it(self):
        # What ovirt_cluster compares, read into the SDK's types: enums, the empty RNG list, and the
        # scheduling policy and MAC pool followed through their hrefs.
        cluster = self.system.clusters_service().list(search="name=Default")[0]
        self.assertFalse(cluster.fencing_policy.enabled)
        self.assertFalse(cluster.fencing_policy.skip_if_sd_active.enabled)
        self.assertEqual(cluster.error_handling.on_error, types.MigrateOnError.DO_NOT_MIGRATE)
        self.assertIsNone(cluster.migration.bandwidth.assignment_method)
        self.assertEqual(cluster.required_rng_sources, [])
        self.assertEqual(cluster.switch_type, types.SwitchType.LEGACY)
        self.assertEqual(cluster.cpu.architecture, types.Architecture.X86_64)
        policy = self.conn.follow_link(cluster.scheduling_policy)
        self.assertEqual((policy.name, policy.default_policy), ("none", True))
        names = [p.name for p in self.system.scheduling_policies_service().list()]
        self.assertEqual(names[0], "none")
        self.assertIn("evenly_distributed", names)
        pool = self.conn.follow_link(cluster.mac_pool)
        self.assertEqual(pool.name, "Default")
        self.assertFalse(pool.allow_duplicates)
        self.assertEqual(len(pool.ranges), 1)
        self.assertEqual([p.id for p in self.system.mac_pools_service().list()], [pool.id])
        self.assertIsInstance(self.conn.follow_link(cluster.networks), list)
        with self.assertRaises(sdk.Error) as caught:
            self.system.clusters_service().cluster_service(cluster.id).update(
                types.Cluster(fencing_policy=types.FencingPolicy(enabled=True))
            )
        self.assertIn("does no fencing", caught.exception.fault.detail)

    def test_03b_refuses_hostile_host_addresses_and_stores_nothing(self):
        # An oVirt address is a host name; what the pentest put there (a libvirt URI that runs a
        # program or reads a file, a query parameter, a user name smuggling a host) is a 400.
        hosts = self.system.hosts_service()
        before = [h.name for h in hosts.list()]
        for address in (
            "qemu+ext:///system?command=/bin/touch",
            "test:///etc/shadow",
            "kvm1/system?socket=/run/x",
        ):
            with self.assertRaises(sdk.Error) as caught:
                hosts.add(types.Host(name="hostile", address=address, cluster=types.Cluster(name="Default")))
            self.assertEqual(caught.exception.code, 400, address)
        with self.assertRaises(sdk.Error) as caught:
            hosts.add(
                types.Host(
                    name="hostile",
                    address="kvm1",
                    cluster=types.Cluster(name="Default"),
                    ssh=types.Ssh(port=22, user=types.User(user_name="root@evil")),
                )
            )
        self.assertEqual(caught.exception.code, 400)
        self.assertEqual([h.name for h in hosts.list()], before)

    # --- a High Performance VM with pinning, IO threads, huge pages, vNUMA --------------------------

    def test_04_creates_a_high_performance_vm_with_pinning_io_threads_and_huge_pages(self):
        host = self.default_host()
        node0 = self.system.hosts_service().host_service(host.id).numa_nodes_service().list()[0]
        cpus = sorted(c.index for c in node0.cpu.cores)[2:6]
        vm = self.system.vms_service().add(
            types.Vm(
                name=VM_NAME,
                description="made by the oVirt SDK",
                cluster=types.Cluster(name="Default"),
                template=types.Template(name="Blank"),
                type=types.VmType.HIGH_PERFORMANCE,
                os=types.OperatingSystem(type="rhel_9x64"),
                memory=4 * GiB,
                cpu=types.Cpu(
                    topology=types.CpuTopology(sockets=1, cores=4, threads=1),
                    cpu_tune=types.CpuTune(
                        vcpu_pins=[types.VcpuPin(vcpu=i, cpu_set=str(c)) for i, c in enumerate(cpus)]
                    ),
                ),
                io=types.Io(threads=1),
                custom_properties=[types.CustomProperty(name="hugepages", value="2048")],
                placement_policy=types.VmPlacementPolicy(
                    affinity=types.VmAffinity.PINNED, hosts=[types.Host(name=host.name)]
                ),
            )
        )
        type(self).vm_id = vm.id
        self.assertEqual(vm.type, types.VmType.HIGH_PERFORMANCE)
        self.assertEqual(vm.status, types.VmStatus.DOWN)
        # The profile's automatic settings, as oVirt's engine applies them.
        self.assertEqual(vm.cpu.mode, types.CpuMode.HOST_PASSTHROUGH)
        self.assertTrue(vm.console.enabled)
        self.assertFalse(vm.usb.enabled)
        self.assertFalse(vm.soundcard_enabled)
        self.assertFalse(vm.memory_policy.ballooning)
        self.assertEqual(vm.io.threads, 1)
        # The manual settings exactly as sent.
        self.assertEqual(vm.memory, 4 * GiB)
        self.assertEqual(vm.cpu_pinning_policy, types.CpuPinningPolicy.MANUAL)
        self.assertEqual([(p.vcpu, p.cpu_set) for p in vm.cpu.cpu_tune.vcpu_pins], [(i, str(c)) for i, c in enumerate(cpus)])
        self.assertEqual([(p.name, p.value) for p in vm.custom_properties], [("hugepages", "2048")])
        self.assertEqual(vm.placement_policy.affinity, types.VmAffinity.PINNED)
        self.assertEqual(vm.placement_policy.hosts[0].id, host.id)
        # Headless: no graphics console.
        self.assertEqual(self.vm_service().graphics_consoles_service().list(), [])
        self.assertFalse(vm.next_run_configuration_exists)

    def test_05_adds_a_vnuma_node_pinned_to_host_node_0(self):
        nodes = self.vm_service().numa_nodes_service()
        added = nodes.add(
            types.VirtualNumaNode(
                index=0,
                memory=4096,
                cpu=types.Cpu(cores=[types.Core(index=i) for i in range(4)]),
                numa_node_pins=[types.NumaNodePin(index=0)],
                numa_tune_mode=types.NumaTuneMode.STRICT,
            )
        )
        self.assertEqual(added.memory, 4096)
        listed = nodes.list()
        self.assertEqual(len(listed), 1)
        self.assertEqual(sorted(c.index for c in listed[0].cpu.cores), [0, 1, 2, 3])
        self.assertEqual([p.index for p in listed[0].numa_node_pins], [0])
        vm = self.vm_service().get()
        self.assertEqual(len(self.conn.follow_link(vm.numa_nodes)), 1)
        self.assertEqual(self.conn.follow_link(vm.cluster).name, "Default")

    def test_06_starts_it(self):
        self.vm_service().start()
        vm = self.wait_for_status(types.VmStatus.UP)
        self.assertIsNotNone(vm.host)
        with self.assertRaises(sdk.Error) as caught:
            self.vm_service().start()
        self.assertEqual(caught.exception.code, 409)

    def test_07_updates_it_while_running_for_the_next_run(self):
        vm = self.vm_service().update(types.Vm(io=types.Io(threads=2)), next_run=True)
        self.assertTrue(vm.next_run_configuration_exists)
        self.assertEqual(self.vm_service().get().io.threads, 1)
        self.assertEqual(self.vm_service().get(next_run=True).io.threads, 2)
        # A hot field applies at once.
        vm = self.vm_service().update(types.Vm(description="edited while running"))
        self.assertEqual(vm.description, "edited while running")

    def test_08_stops_it_and_the_next_run_configuration_applies_at_the_next_start(self):
        self.vm_service().stop()
        self.wait_for_status(types.VmStatus.DOWN)
        self.vm_service().start()
        vm = self.wait_for_status(types.VmStatus.UP)
        self.assertEqual(vm.io.threads, 2)
        self.assertFalse(vm.next_run_configuration_exists)
        self.vm_service().shutdown()
        self.wait_for_status(types.VmStatus.DOWN)

    # --- search, templates, pools, instance types -------------------------------------------------

    def test_09_searches(self):
        self.assertEqual(self.vm_names(search="name=hp-api*"), [VM_NAME])
        self.assertEqual(self.vm_names(search=f'name="{VM_NAME}"'), [VM_NAME])
        self.assertIn(VM_NAME, self.vm_names(search="status=down and type=high_performance"))
        self.assertNotIn(VM_NAME, self.vm_names(search="status=up"))
        self.assertEqual(len(self.vm_names(max=1)), 1)
        everything = self.vm_names()
        self.assertEqual(self.vm_names(search="sortby name desc"), sorted(everything, reverse=True))
        with self.assertRaises(sdk.Error) as caught:
            self.system.vms_service().list(search="colour=red")
        self.assertEqual(caught.exception.code, 400)

    def test_10_lists_templates_pools_and_instance_types(self):
        self.assertIn("Blank", [t.name for t in self.system.templates_service().list()])
        sizes = {i.name: i.memory for i in self.system.instance_types_service().list()}
        self.assertEqual(sizes["Small"], 2 * GiB)
        # A template from the VM keeps its profile.
        template = self.system.templates_service().add(
            types.Template(name="hp-api-template", vm=types.Vm(id=type(self).vm_id))
        )
        self.assertEqual(template.type, types.VmType.HIGH_PERFORMANCE)
        # A High Performance pool of two stateless VMs from it.
        pools = self.system.vm_pools_service()
        pool = pools.add(
            types.VmPool(
                name="hp-api-pool",
                size=2,
                cluster=types.Cluster(name="Default"),
                template=types.Template(name="hp-api-template"),
            )
        )
        self.assertEqual(pool.size, 2)
        self.assertEqual(pool.vm.type, types.VmType.HIGH_PERFORMANCE)
        self.assertIn("hp-api-pool", [p.name for p in pools.list()])
        self.assertEqual(sorted(self.vm_names(search="pool=hp-api-pool")), ["hp-api-pool-1", "hp-api-pool-2"])
        pools.pool_service(pool.id).remove()
        self.assertEqual(self.vm_names(search="name=hp-api-pool*"), [])
        self.system.templates_service().template_service(template.id).remove()
        # An instance type, made and changed and removed.
        its = self.system.instance_types_service()
        made = its.add(
            types.InstanceType(
                name="api-xl", memory=16 * GiB, cpu=types.Cpu(topology=types.CpuTopology(sockets=2, cores=4, threads=1))
            )
        )
        changed = its.instance_type_service(made.id).update(types.InstanceType(io=types.Io(threads=2)))
        self.assertEqual((changed.memory, changed.io.threads), (16 * GiB, 2))
        its.instance_type_service(made.id).remove()
        with self.assertRaises(sdk.NotFoundError):
            its.instance_type_service(made.id).get()

    # --- storage: domains, disks and disk attachments ----------------------------------------------

    def default_pool(self):
        # Vireo names a storage domain after its libvirt pool; each test-driver host has a
        # `default-pool`, so the search may find more than one: take the default host's.
        host = self.default_host()
        found = self.system.storage_domains_service().list(search="name=default-pool")
        return next(d for d in found if d.host.id == host.id)

    def test_10b_storage_domains_and_disks(self):
        pool = self.default_pool()
        self.assertEqual(pool.type, types.StorageDomainType.DATA)
        self.assertEqual(pool.storage.type, types.StorageType.LOCALFS)
        self.assertEqual(pool.storage.path, "/default-pool")
        self.assertEqual(pool.status, types.StorageDomainStatus.ACTIVE)
        self.assertGreater(pool.available, 0)
        domains = self.system.storage_domains_service()
        self.assertIn(pool.id, [d.id for d in domains.list()])
        self.assertEqual(domains.storage_domain_service(pool.id).get().name, "default-pool")

        disks = self.system.disks_service()
        disk = disks.add(
            types.Disk(
                name="api-data-1",
                provisioned_size=GiB,
                format=types.DiskFormat.COW,
                storage_domains=[types.StorageDomain(id=pool.id)],
            )
        )
        self.assertEqual((disk.provisioned_size, disk.format, disk.sparse), (GiB, types.DiskFormat.COW, True))
        self.assertEqual((disk.status, disk.content_type), (types.DiskStatus.OK, types.DiskContentType.DATA))
        self.assertEqual(disk.storage_domains[0].id, pool.id)
        self.assertEqual([d.id for d in disks.list(search="name=api-data-1")], [disk.id])
        renamed = disks.disk_service(disk.id).update(types.Disk(alias="api-data-renamed", description="scratch"))
        self.assertEqual((renamed.alias, renamed.name, renamed.description), ("api-data-renamed",) * 2 + ("scratch",))
        # Sizes Vireo refuses (negative, zero, beyond 64 TiB) are 400 faults, and make nothing.
        before = sorted(d.id for d in disks.list())
        for size in (-1, 0, 1 << 62):
            with self.assertRaises(sdk.Error) as caught:
                disks.add(
                    types.Disk(
                        name="api-bad",
                        provisioned_size=size,
                        format=types.DiskFormat.COW,
                        storage_domains=[types.StorageDomain(id=pool.id)],
                    )
                )
            self.assertEqual(caught.exception.code, 400, size)
            self.assertIn("provisioned_size", caught.exception.fault.detail)
        self.assertEqual(sorted(d.id for d in disks.list()), before)
        disks.disk_service(disk.id).remove()
        with self.assertRaises(sdk.NotFoundError):
            disks.disk_service(disk.id).get()

    def test_10c_attaches_disks_to_the_vm(self):
        pool = self.default_pool()
        disks = self.system.disks_service()
        disk = disks.add(
            types.Disk(
                name="api-boot",
                provisioned_size=GiB,
                format=types.DiskFormat.COW,
                storage_domains=[types.StorageDomain(id=pool.id)],
            )
        )
        attachments = self.vm_service().disk_attachments_service()
        attached = attachments.add(
            types.DiskAttachment(
                disk=types.Disk(id=disk.id), interface=types.DiskInterface.VIRTIO, bootable=True, active=True
            )
        )
        self.assertEqual(attached.id, disk.id)
        self.assertEqual((attached.bootable, attached.active), (True, True))
        self.assertEqual(attached.interface, types.DiskInterface.VIRTIO)
        self.assertEqual(attached.disk.id, disk.id)
        # A new disk described in full: created and attached in one call.
        new = attachments.add(
            types.DiskAttachment(
                disk=types.Disk(
                    name="api-scratch",
                    provisioned_size=2 * GiB,
                    format=types.DiskFormat.RAW,
                    sparse=True,
                    storage_domains=[types.StorageDomain(id=pool.id)],
                ),
                interface=types.DiskInterface.VIRTIO_SCSI,
            )
        )
        self.assertEqual(disks.disk_service(new.id).get().format, types.DiskFormat.RAW)
        self.assertEqual(sorted(a.id for a in attachments.list()), sorted([disk.id, new.id]))
        vm = self.vm_service().get()
        self.assertEqual(len(self.conn.follow_link(vm.disk_attachments)), 2)
        changed = attachments.attachment_service(new.id).update(types.DiskAttachment(read_only=True))
        self.assertEqual((changed.read_only, changed.interface), (True, types.DiskInterface.VIRTIO_SCSI))
        # Detach only: the disk stays. A plain remove takes the disk with it, as in oVirt.
        attachments.attachment_service(disk.id).remove(detach_only=True)
        self.assertEqual(disks.disk_service(disk.id).get().id, disk.id)
        attachments.attachment_service(new.id).remove()
        with self.assertRaises(sdk.NotFoundError):
            disks.disk_service(new.id).get()
        self.assertEqual(attachments.list(), [])
        disks.disk_service(disk.id).remove()

    def test_10d_a_vm_from_a_template_gets_overlays_or_with_clone_copies_of_its_disks(self):
        pool = self.default_pool()
        templates = self.system.templates_service()
        template = templates.add(types.Template(name="api-disk-template", cluster=types.Cluster(name="Default")))
        # The SDK has no call to attach a disk to a template (oVirt's come from a VM); Vireo has one.
        body = (
            "<disk_attachment><bootable>true</bootable><interface>virtio</interface><disk><name>api-base</name>"
            f"<provisioned_size>{GiB}</provisioned_size><format>cow</format><storage_domains>"
            f'<storage_domain id="{pool.id}"/></storage_domains></disk></disk_attachment>'
        )
        status, _ = raw("POST", f"/templates/{template.id}/diskattachments", body, token=sso_token())
        self.assertEqual(status, 201)
        base = templates.template_service(template.id).disk_attachments_service().list()
        self.assertEqual(len(base), 1)
        vms = self.system.vms_service()
        made = []
        for name, clone in (("api-thin", None), ("api-clone", True)):
            vm = vms.add(
                types.Vm(name=name, cluster=types.Cluster(name="Default"), template=types.Template(id=template.id)),
                clone=clone,
            )
            made.append(vm)
            own = vms.vm_service(vm.id).disk_attachments_service().list()
            self.assertEqual(len(own), 1, name)
            self.assertNotEqual(own[0].id, base[0].id, name)
            self.assertTrue(own[0].bootable, name)
        for vm in made:
            vms.vm_service(vm.id).remove()  # with its disks, as oVirt removes them
        templates.template_service(template.id).disk_attachments_service().attachment_service(base[0].id).remove()
        with self.assertRaises(sdk.NotFoundError):
            self.system.disks_service().disk_service(base[0].id).get()
        templates.template_service(template.id).remove()

    # --- networks, vNIC profiles and NICs -------------------------------------------------------------

    def default_profile(self):
        networks = self.system.networks_service()
        net = networks.list(search="name=default")[0]
        profiles = networks.network_service(net.id).vnic_profiles_service().list()
        return net, next(p for p in profiles if p.name == "default")

    def test_10e_networks_and_vnic_profiles(self):
        networks = self.system.networks_service()
        net, profile = self.default_profile()
        self.assertEqual(net.vdsm_name, "default")
        cluster = self.system.clusters_service().list(search="name=Default")[0]
        self.assertEqual(net.cluster.id, cluster.id)
        self.assertIn(net.id, [n.id for n in self.system.clusters_service().cluster_service(cluster.id).networks_service().list()])
        self.assertEqual(profile.network.id, net.id)
        self.assertFalse(profile.port_mirroring)
        # A network on a host bridge, with a VLAN tag; its default profile comes with it.
        made = networks.add(
            types.Network(name="api-net", description="made by the SDK", vlan=types.Vlan(id=42), cluster=types.Cluster(id=cluster.id))
        )
        self.assertEqual((made.name, made.vlan.id), ("api-net", 42))
        self.assertEqual([n.id for n in networks.list(search="name=api-net")], [made.id])
        profiles = self.system.vnic_profiles_service()
        own = [p for p in profiles.list() if p.network.id == made.id]
        self.assertEqual([p.name for p in own], ["api-net"])
        filters = self.system.network_filters_service().list()
        clean = next(f for f in filters if f.name == "clean-traffic")
        extra = profiles.add(
            types.VnicProfile(name="api-filtered", network=types.Network(id=made.id), network_filter=types.NetworkFilter(id=clean.id))
        )
        self.assertEqual(extra.network_filter.id, clean.id)
        changed = profiles.profile_service(extra.id).update(types.VnicProfile(description="clean traffic only"))
        self.assertEqual(changed.description, "clean traffic only")
        with self.assertRaises(sdk.Error) as caught:
            profiles.add(types.VnicProfile(name="api-mirror", network=types.Network(id=made.id), port_mirroring=True))
        self.assertEqual(caught.exception.code, 400)
        profiles.profile_service(extra.id).remove()
        networks.network_service(made.id).remove()
        with self.assertRaises(sdk.NotFoundError):
            networks.network_service(made.id).get()

    def test_10f_nics_on_the_vm(self):
        net, profile = self.default_profile()
        nics = self.vm_service().nics_service()
        before = nics.list()
        nic = nics.add(types.Nic(name="api-nic", vnic_profile=types.VnicProfile(id=profile.id), interface=types.NicInterface.E1000E))
        self.assertEqual(nic.name, "api-nic")
        self.assertEqual(nic.vnic_profile.id, profile.id)
        self.assertTrue(nic.mac.address.startswith("56:6f:"), nic.mac.address)
        self.assertTrue(nic.linked and nic.plugged)
        self.assertEqual(len(nics.list()), len(before) + 1)
        changed = nics.nic_service(nic.id).update(types.Nic(interface=types.NicInterface.VIRTIO, linked=False))
        self.assertEqual((changed.interface, changed.linked, changed.mac.address), (types.NicInterface.VIRTIO, False, nic.mac.address))
        # A MAC another NIC holds is refused, and nothing is added.
        with self.assertRaises(sdk.Error) as caught:
            nics.add(types.Nic(name="api-dup", vnic_profile=types.VnicProfile(id=profile.id), mac=types.Mac(address=nic.mac.address)))
        self.assertIn(caught.exception.code, (400, 409))
        self.assertEqual(len(nics.list()), len(before) + 1)
        # The network is in use: removing it is refused, naming the VM.
        with self.assertRaises(sdk.Error) as caught:
            self.system.networks_service().network_service(net.id).remove()
        self.assertEqual(caught.exception.code, 409)
        self.assertIn(VM_NAME, caught.exception.fault.detail)
        # What the guest reports (the test driver answers for every NIC of a running VM).
        self.vm_service().start()
        self.wait_for_status(types.VmStatus.UP)
        deadline = time.time() + 60
        reported = []
        while time.time() < deadline and not reported:
            reported = self.vm_service().reported_devices_service().list()
            time.sleep(0.5)
        self.assertTrue(reported, "the running VM reports its NICs")
        self.assertTrue(all(d.type == types.ReportedDeviceType.NETWORK for d in reported))
        self.assertTrue(any(ip.address for d in reported for ip in (d.ips or [])))
        self.vm_service().stop()
        self.wait_for_status(types.VmStatus.DOWN)
        nics.nic_service(nic.id).remove()
        self.assertEqual(len(nics.list()), len(before))

    # --- consoles --------------------------------------------------------------------------------

    def test_10g_graphics_consoles_tickets_and_console_files(self):
        vms = self.system.vms_service()
        # The headless High Performance VM has no graphical console (its console is the serial one).
        self.assertEqual(self.vm_service().graphics_consoles_service().list(), [])
        server = vms.add(types.Vm(name="srv-console-1", cluster=types.Cluster(name="Default"), template=types.Template(name="Blank")))
        server_service = vms.vm_service(server.id)
        consoles = server_service.graphics_consoles_service()
        listed = consoles.list()
        self.assertEqual(len(listed), 1)
        self.assertEqual(listed[0].protocol, types.GraphicsType.VNC)
        self.assertEqual(listed[0].vm.id, server.id)
        # The display listens on a UNIX socket on its host: no address or port to give.
        self.assertIsNone(listed[0].address)
        self.assertIsNone(listed[0].port)
        # current=True: the running VM's consoles (oVirt's meaning), so none while it is down.
        self.assertEqual(consoles.list(current=True), [])
        server_service.start()
        deadline = time.time() + 30
        while server_service.get().status != types.VmStatus.UP and time.time() < deadline:
            time.sleep(0.25)
        self.assertEqual(len(consoles.list(current=True)), 1)
        console = consoles.console_service(listed[0].id)
        self.assertEqual(console.get(current=True).protocol, types.GraphicsType.VNC)

        ticket = console.ticket()
        self.assertTrue(ticket.value)
        self.assertEqual(ticket.expiry, 30)
        proposed = console.ticket(ticket=types.Ticket(value="mine", expiry=600))
        self.assertNotEqual(proposed.value, "mine", "Vireo chooses the value")
        self.assertEqual(proposed.expiry, 30, "and the expiry")

        vv = console.remote_viewer_connection_file()
        lines = vv.splitlines()
        self.assertEqual(lines[0], "[virt-viewer]", vv)
        keys = dict(line.split("=", 1) for line in lines[1:] if "=" in line)
        self.assertEqual(keys["type"], "vnc")
        self.assertEqual(keys["delete-this-file"], "1")
        self.assertEqual(len(keys["password"]), 8)
        self.assertGreater(int(keys["port"]), 0)
        self.assertTrue(keys["host"])

        # A viewer may look at consoles but not open one: 403.
        add_user("api-viewer", "viewer", "api-viewer-password-1")
        viewer = sdk.Connection(url=URL, username="api-viewer@internal", password="api-viewer-password-1")
        viewer_console = viewer.system_service().vms_service().vm_service(server.id).graphics_consoles_service()
        self.assertEqual(len(viewer_console.list()), 1)
        for call in (lambda c: c.ticket(), lambda c: c.remote_viewer_connection_file()):
            with self.assertRaises(sdk.AuthError) as caught:
                call(viewer_console.console_service(listed[0].id))
            self.assertEqual(caught.exception.code, 403)
        viewer.close()

        # The console's way out of a hung guest: a hard reset (VmService.reset in ovirtsdk4 4.6).
        server_service.reset()
        self.assertEqual(server_service.get().status, types.VmStatus.UP)
        server_service.stop()
        server_service.remove(force=True)

    # --- the seed's gates and bad input: a fault, and nothing written -----------------------------

    def test_10h_cpu_pinning_policies_on_vms_templates_and_pools(self):
        """oVirt 4.5's cpu_pinning_policy, all five values: start-time policies pick host CPUs at
        each start (issue 19), so the pool's VMs run side by side on CPUs of their own."""
        templates = self.system.templates_service()
        template = templates.add(
            types.Template(
                name="ded-api-template",
                vm=types.Vm(id=type(self).vm_id),
            )
        )
        template = templates.template_service(template.id).update(
            types.Template(cpu_pinning_policy=types.CpuPinningPolicy.DEDICATED)
        )
        self.assertEqual(template.cpu_pinning_policy, types.CpuPinningPolicy.DEDICATED)
        pools = self.system.vm_pools_service()
        pool = pools.add(
            types.VmPool(
                name="ded-api-pool",
                size=2,
                cluster=types.Cluster(name="Default"),
                template=types.Template(name="ded-api-template"),
            )
        )
        self.assertEqual(pool.vm.cpu_pinning_policy, types.CpuPinningPolicy.DEDICATED)
        vms = self.system.vms_service()
        pool_vms = vms.list(search="pool=ded-api-pool")
        self.assertEqual(len(pool_vms), 2)
        for vm in pool_vms:
            self.assertEqual(vm.cpu_pinning_policy, types.CpuPinningPolicy.DEDICATED)
            self.assertIsNone(vm.cpu.cpu_tune, "no saved pins: they are chosen at each start")
        # Both start; each gets host CPUs of its own.
        for vm in pool_vms:
            vms.vm_service(vm.id).start()
        for vm in pool_vms:
            for _ in range(100):
                if vms.vm_service(vm.id).get().status == types.VmStatus.UP:
                    break
                time.sleep(0.1)
            vms.vm_service(vm.id).stop()
        # Every value reads back as written; manual without pins is refused by name.
        vm = vms.add(
            types.Vm(
                name="policy-api-1",
                cluster=types.Cluster(name="Default"),
                template=types.Template(name="Blank"),
                cpu_pinning_policy=types.CpuPinningPolicy.ISOLATE_THREADS,
            )
        )
        self.assertEqual(vm.cpu_pinning_policy, types.CpuPinningPolicy.ISOLATE_THREADS)
        service = vms.vm_service(vm.id)
        for policy in (
            types.CpuPinningPolicy.RESIZE_AND_PIN_NUMA,
            types.CpuPinningPolicy.DEDICATED,
            types.CpuPinningPolicy.NONE,
        ):
            self.assertEqual(service.update(types.Vm(cpu_pinning_policy=policy)).cpu_pinning_policy, policy)
        with self.assertRaises(sdk.Error) as caught:
            service.update(types.Vm(cpu_pinning_policy=types.CpuPinningPolicy.MANUAL))
        self.assertIn("Manual needs a CPU Pinning Topology", str(caught.exception))
        service.remove()
        pools.pool_service(pool.id).remove()
        templates.template_service(template.id).remove()

    def test_10i_the_random_number_generator_as_the_sdk_sends_it(self):
        """virtio-rng is oVirt's rng_device (source urandom): a new VM has it, an update with
        Vireo's <vireo><virtio_rng>false</virtio_rng> removes it, the SDK's RngDevice adds it back."""
        vms = self.system.vms_service()
        vm = vms.add(
            types.Vm(
                name="rng-api-1",
                cluster=types.Cluster(name="Default"),
                template=types.Template(name="Blank"),
            )
        )
        self.assertEqual(vm.rng_device.source, types.RngSource.URANDOM)
        service = vms.vm_service(vm.id)
        # The SDK has no element for Vireo's switch: the body by hand.
        status, body = raw(
            "PUT", f"/vms/{vm.id}", "<vm><vireo><virtio_rng>false</virtio_rng></vireo></vm>", token=sso_token()
        )
        self.assertEqual(status, 200, body)
        self.assertIsNone(service.get().rng_device)
        updated = service.update(types.Vm(rng_device=types.RngDevice(source=types.RngSource.URANDOM)))
        self.assertEqual(updated.rng_device.source, types.RngSource.URANDOM)
        with self.assertRaises(sdk.Error):
            service.update(types.Vm(rng_device=types.RngDevice(source=types.RngSource.HWRNG)))
        service.remove()

    def test_11_provokes_the_gates(self):
        before = self.vm_names()
        with self.assertRaises(sdk.Error) as caught:
            self.system.vms_service().add(
                types.Vm(
                    name="hp-windows",
                    cluster=types.Cluster(name="Default"),
                    template=types.Template(name="Blank"),
                    type=types.VmType.HIGH_PERFORMANCE,
                    os=types.OperatingSystem(type="windows_2022"),
                )
            )
        self.assertEqual(caught.exception.code, 409)
        self.assertEqual(caught.exception.fault.reason, "Operation Failed")
        self.assertIn("Windows", caught.exception.fault.detail)
        host = self.default_host()
        with self.assertRaises(sdk.Error) as caught:
            self.system.vms_service().add(
                types.Vm(
                    name="hp-bad-pin",
                    cluster=types.Cluster(name="Default"),
                    template=types.Template(name="Blank"),
                    type=types.VmType.HIGH_PERFORMANCE,
                    cpu=types.Cpu(
                        topology=types.CpuTopology(sockets=1, cores=2, threads=1),
                        cpu_tune=types.CpuTune(vcpu_pins=[types.VcpuPin(vcpu=0, cpu_set="999")]),
                    ),
                    placement_policy=types.VmPlacementPolicy(
                        affinity=types.VmAffinity.PINNED, hosts=[types.Host(id=host.id)]
                    ),
                )
            )
        self.assertEqual(caught.exception.code, 409)
        self.assertIn("999", caught.exception.fault.detail)
        # High Performance needs cluster level 4.2. A 4.1 cluster lives in a 4.1 data center (no
        # cluster may be below its data center's version).
        old_dc = self.system.data_centers_service().add(
            types.DataCenter(name="old-dc-4-1", local=False, version=types.Version(major=4, minor=1))
        )
        old = self.system.clusters_service().add(
            types.Cluster(
                name="old-4-1",
                version=types.Version(major=4, minor=1),
                data_center=types.DataCenter(name="old-dc-4-1"),
            )
        )
        self.assertEqual(old.data_center.id, old_dc.id)
        with self.assertRaises(sdk.Error) as caught:
            self.system.vms_service().add(
                types.Vm(
                    name="hp-old-cluster",
                    cluster=types.Cluster(id=old.id),
                    template=types.Template(name="Blank"),
                    type=types.VmType.HIGH_PERFORMANCE,
                )
            )
        self.assertIn("4.2", caught.exception.fault.detail)
        self.system.clusters_service().cluster_service(old.id).remove()
        self.system.data_centers_service().data_center_service(old_dc.id).remove()
        # A running VM edit that breaks a rule is refused as well.
        with self.assertRaises(sdk.Error) as caught:
            self.vm_service().update(
                types.Vm(cpu=types.Cpu(cpu_tune=types.CpuTune(vcpu_pins=[types.VcpuPin(vcpu=7, cpu_set="1")])))
            )
        self.assertEqual(caught.exception.code, 409)
        self.assertEqual(self.vm_names(), before)
        self.assertEqual(len(self.vm_service().get().cpu.cpu_tune.vcpu_pins), 4)

    def test_12_refuses_malformed_unknown_mistyped_and_oversized_bodies(self):
        token = sso_token()
        before = self.vm_names()
        named = '<vm><name>raw</name><cluster><name>Default</name></cluster>%s</vm>'
        for body, status, words in [
            ("<vm><name>raw</vm>", 400, "not well-formed"),
            (named % "<bogus>1</bogus>", 400, "bogus"),
            (named % "<memory>four gigs</memory>", 400, "whole number"),
            (named % "<cpu><topology><cores>-1</cores></topology></cpu>", 400, "whole number"),
            (named % ("<description>%s</description>" % ("x" * (2 * 1024 * 1024))), 413, "larger than"),
        ]:
            code, text = raw("POST", "/vms", body, token)
            self.assertEqual(code, status, text)
            self.assertIn("<fault>", text)
            self.assertIn(words, text)
        self.assertEqual(self.vm_names(), before)

    def test_13_a_stale_token_is_renewed_by_the_sdk(self):
        # The SDK answers a 401 by logging in again and retrying once.
        conn = connect(token="not-a-valid-token")
        self.assertIn(VM_NAME, [v.name for v in conn.system_service().vms_service().list()])
        conn.close()

    def test_14_removes_it(self):
        self.vm_service().start()
        self.wait_for_status(types.VmStatus.UP)
        with self.assertRaises(sdk.Error) as caught:
            self.vm_service().remove()
        self.assertEqual(caught.exception.code, 409)
        self.vm_service().remove(force=True)
        self.assertNotIn(VM_NAME, self.vm_names())
        with self.assertRaises(sdk.NotFoundError):
            self.vm_service().get()

    def test_15_logout_revokes_the_token(self):
        token = sso_token()
        self.assertEqual(raw("GET", "", token=token)[0], 200)
        form = urllib.parse.urlencode({"scope": "ovirt-app-api", "token": token}).encode()
        with urllib.request.urlopen(ORIGIN + "/ovirt-engine/services/sso-logout", data=form) as r:
            self.assertEqual(json.loads(r.read()), {})
        self.assertEqual(raw("GET", "", token=token)[0], 401)


if __name__ == "__main__":
    unittest.main(verbosity=2)
