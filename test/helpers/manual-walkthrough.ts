/**
 * The PVC manual's provisioner walkthrough as its curl lines send it, shared by the two tests that
 * replay it: provisioner-facade.test.ts (the shapes and messages, with the manual's own values) and
 * provisioner-walkthrough.test.ts (end to end, with this stack's pool and nodes). One copy of the
 * steps, so that the two cannot drift from each other or from the manual.
 */

/** A request as curl sends the manual's line: the URL as written, `-d` as a raw form body. */
export async function curl(base: string, method: string, pathAndQuery: string, body?: string) {
  const res = await fetch(`${base}/api/v1${pathAndQuery}`, {
    method,
    redirect: "manual",
    ...(body === undefined ? {} : { body, headers: { "content-type": "application/x-www-form-urlencoded" } }),
  });
  const text = await res.text();
  return {
    status: res.status,
    location: res.headers.get("location"),
    body: text ? JSON.parse(text) : undefined,
  };
}

/** One curl line of the walkthrough: method, URL path and query, `-d` body, the message it answers. */
export type WalkthroughStep = [
  method: string,
  pathAndQuery: string,
  body: string | undefined,
  message: string,
];

/** What a replay may change from the manual: only what must differ where it runs. */
export interface WalkthroughValues {
  /** The system template's node_limit (the manual: `pvchv1,pvchv2`). */
  nodeLimit: string;
  /** The storage template's pool (the manual: `vms`). */
  pool: string;
  /** The script's `-d` body, `data=<script>` as it is to be sent. */
  scriptBody: string;
}

/**
 * The walkthrough from the system template to the profile, in the manual's order: its `+` in
 * names, its `\&` and quotes left in the third disk's body, `disk_template`.
 */
export function walkthroughSteps({ nodeLimit, pool, scriptBody }: WalkthroughValues): WalkthroughStep[] {
  return [
    [
      "POST",
      `/provisioner/template/system?name=2cpu-1gb-serial&vcpus=2&vram=1024&serial=true&vnc=false&node_limit=${nodeLimit}&node_selector=mem&start_with_node=false`,
      undefined,
      "Added new system template '2cpu-1gb-serial'",
    ],
    [
      "POST",
      "/provisioner/template/network?name=net200+net300",
      undefined,
      "Added new network template 'net200+net300'",
    ],
    [
      "POST",
      "/provisioner/template/network/net200+net300/net?vni=200",
      undefined,
      "Added new network '200' to network template 'net200+net300'",
    ],
    [
      "POST",
      "/provisioner/template/network/net200+net300/net/300",
      undefined,
      "Added new network '300' to network template 'net200+net300'",
    ],
    [
      "POST",
      "/provisioner/template/storage/ext4-root-var-log",
      undefined,
      "Added new storage template 'ext4-root-var-log'",
    ],
    [
      "POST",
      `/provisioner/template/storage/ext4-root-var-log/disk?disk_id=sda&disk_size=4&filesystem=ext4&mountpoint=/&pool=${pool}&filesystem_arg=-L=root`,
      undefined,
      "Added new disk 'sda' to storage template 'ext4-root-var-log'",
    ],
    [
      "POST",
      `/provisioner/template/storage/ext4-root-var-log/disk/sdb?disk_size=4&filesystem=ext4&mountpoint=/var&pool=${pool}&filesystem_arg=-L=var`,
      undefined,
      "Added new disk 'sdb' to storage template 'ext4-root-var-log'",
    ],
    [
      "POST",
      "/provisioner/template/storage/ext4-root-var-log/disk/sdc",
      `disk_size=4\\&filesystem=ext4\\&mountpoint=/var/log\\&pool=${pool}\\&filesystem_arg='-L=log'\\&filesystem_arg='-m=1'`,
      "Added new disk 'sdc' to storage template 'ext4-root-var-log'",
    ],
    [
      "POST",
      "/provisioner/template/userdata?name=example-userdata",
      "data=#cloud-config",
      "Created userdata document 'example-userdata'",
    ],
    [
      "POST",
      "/provisioner/script/debootstrap-example",
      scriptBody,
      "Created provisioning script 'debootstrap-example'",
    ],
    [
      "POST",
      "/provisioner/profile/test-profile?system_template=2cpu-1gb-serial&network_template=net200+net300&disk_template=ext4-root-var-log&userdata_template=example-userdata&script=debootstrap-example&arg=deb_release=buster&arg=deb_mirror=http://deb.debian.org/debian&arg=deb_packages=linux-image-amd64,grub-pc,cloud-init,python3-cffi-backend,wget",
      undefined,
      "Created VM profile 'test-profile'",
    ],
  ];
}
