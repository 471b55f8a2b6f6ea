/**
 * Names the folder `pvcctl up` watches (unless the config already has one). Its own module so that
 * the CLI can declare the option without loading the GitOps machinery (every pvcctl start paid it).
 */
export const GITOPS_DIR_ENV = "PVC_GITOPS_DIR";
