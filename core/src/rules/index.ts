import type { Rule } from '../lint/rule';
import apiDirectoryRemoved from './api-directory-removed';
import bootContent from './boot-content';
import bootcBinaryMissing from './bootc-binary-missing';
import buildahInjectedFile from './buildah-injected-file';
import containerLintMasked from './container-lint-masked';
import deprecatedOstreeCommit from './deprecated-ostree-commit';
import dpkgDatabaseInVar from './dpkg-database-in-var';
import dracutHostKernel from './dracut-host-kernel';
import envNotRuntime from './env-not-runtime';
import forbiddenPath from './forbidden-path';
import fullSystemUpgrade from './full-system-upgrade';
import hardcodedPassword from './hardcoded-password';
import ignoredInstruction from './ignored-instruction';
import initramfsBootcModule from './initramfs-bootc-module';
import initramfsMissing from './initramfs-missing';
import kargsLocation from './kargs-location';
import kargsSyntax from './kargs-syntax';
import kernelLocation from './kernel-location';
import kernelMissing from './kernel-missing';
import missingBootcLabel from './missing-bootc-label';
import missingContainerLint from './missing-container-lint';
import multipleKernels from './multiple-kernels';
import nestedImagePull from './nested-image-pull';
import nonRootUser from './non-root-user';
import packageManagerLeftovers from './package-manager-leftovers';
import pxeLiveModule from './pxe-live-module';
import runtimeTmpfsContent from './runtime-tmpfs-content';
import secretInBuildArg from './secret-in-build-arg';
import selinuxChcon from './selinux-chcon';
import systemctlRuntime from './systemctl-runtime';
import toplevelDirectory from './toplevel-directory';
import useraddWithoutSysusers from './useradd-without-sysusers';
import usrEtc from './usr-etc';
import varContent from './var-content';
import varLinkTmpfiles from './var-link-tmpfiles';
import varRunDirectory from './var-run-directory';

/** Every bootc rule, sorted by id. Ids are public: never rename or reuse one. */
export const ALL_RULES: readonly Rule[] = [
  apiDirectoryRemoved,
  bootContent,
  bootcBinaryMissing,
  buildahInjectedFile,
  containerLintMasked,
  deprecatedOstreeCommit,
  dpkgDatabaseInVar,
  dracutHostKernel,
  envNotRuntime,
  forbiddenPath,
  fullSystemUpgrade,
  hardcodedPassword,
  ignoredInstruction,
  initramfsBootcModule,
  initramfsMissing,
  kargsLocation,
  kargsSyntax,
  kernelLocation,
  kernelMissing,
  missingBootcLabel,
  missingContainerLint,
  multipleKernels,
  nestedImagePull,
  nonRootUser,
  packageManagerLeftovers,
  pxeLiveModule,
  runtimeTmpfsContent,
  secretInBuildArg,
  selinuxChcon,
  systemctlRuntime,
  toplevelDirectory,
  useraddWithoutSysusers,
  usrEtc,
  varContent,
  varLinkTmpfiles,
  varRunDirectory,
];
