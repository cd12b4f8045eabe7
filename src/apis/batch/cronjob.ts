// batch/v1 CronJob: types, defaulting (SetDefaults_CronJob), validation (the schedule parses,
// the time zone is a real IANA zone and not smuggled into the schedule, a valid job template)
// and `kubectl get cronjobs` columns.
import { fieldForbidden, fieldInvalid, fieldNotSupported, fieldRequired } from "../errors.ts";
import { type Causes, type JsonObject, nonNegative, objOf, objectAt, stringAt } from "../field.ts";
import type { KubeObject, ObjectMeta } from "../meta.ts";
import { selectorString } from "../selector.ts";
import { type Printer, age, column, wide } from "../table.ts";
import { timestampSince } from "../duration.ts";
import type { ObjectReference } from "../core/pod.ts";
import { validateLabels, validateAnnotations } from "../metadata.ts";
import { containerCells, defaultTemplate } from "../apps/deployment.ts";
import { checkTimeZone, parseSchedule } from "./cron.ts";
import type { JobSpec } from "./job.ts";
import { validateJobSpec } from "./job-validation.ts";

export interface JobTemplateSpec {
  metadata?: ObjectMeta;
  spec: JobSpec;
}

export interface CronJobSpec {
  schedule: string;
  timeZone?: string;
  startingDeadlineSeconds?: number;
  concurrencyPolicy?: "Allow" | "Forbid" | "Replace";
  suspend?: boolean;
  jobTemplate: JobTemplateSpec;
  successfulJobsHistoryLimit?: number;
  failedJobsHistoryLimit?: number;
}

export interface CronJobStatus {
  active?: ObjectReference[];
  lastScheduleTime?: string;
  lastSuccessfulTime?: string;
}

export interface CronJob extends KubeObject {
  apiVersion?: "batch/v1";
  kind?: "CronJob";
  spec?: CronJobSpec;
  status?: CronJobStatus;
}

/** Job names are "<cronjob>-<minutes>": 52 leaves room for the suffix in a 63-character label. */
const MAX_CRONJOB_NAME = 52;

export function defaultCronJob(cj: CronJob): void {
  const spec = objOf(cj.spec);
  if (!spec) return;
  spec.concurrencyPolicy ??= "Allow";
  spec.suspend ??= false;
  spec.successfulJobsHistoryLimit ??= 3;
  spec.failedJobsHistoryLimit ??= 1;
  const podSpec = objOf(objOf(objOf(objOf(spec.jobTemplate)?.spec)?.template)?.spec);
  const restartPolicy = podSpec?.restartPolicy;
  defaultTemplate(objOf(objOf(spec.jobTemplate)?.spec)?.template);
  if (podSpec && restartPolicy === undefined) delete podSpec.restartPolicy;
}

export function validateCronJob(errs: Causes, cj: JsonObject): void {
  const name = objOf(cj.metadata)?.name;
  if (typeof name === "string" && name.length > MAX_CRONJOB_NAME) errs.push(fieldInvalid("metadata.name", name, `must be no more than ${MAX_CRONJOB_NAME} characters`));
  const spec = objectAt(errs, "spec", cj.spec);
  if (!spec) return void errs.push(fieldRequired("spec.schedule"));
  const schedule = stringAt(errs, "spec.schedule", spec.schedule);
  if (!schedule) errs.push(fieldRequired("spec.schedule"));
  else if (/(^|\s)(CRON_)?TZ=/.test(schedule)) errs.push(fieldInvalid("spec.schedule", schedule, "cannot use TZ or CRON_TZ in schedule, use timeZone field instead"));
  else {
    try {
      parseSchedule(schedule);
    } catch (err) {
      errs.push(fieldInvalid("spec.schedule", schedule, (err as Error).message));
    }
  }
  const tz = stringAt(errs, "spec.timeZone", spec.timeZone);
  if (tz !== undefined) {
    let ok = tz !== "" && tz.toLowerCase() !== "local";
    try {
      if (ok) checkTimeZone(tz);
    } catch {
      ok = false;
    }
    if (!ok) errs.push(fieldInvalid("spec.timeZone", tz, "unknown time zone " + tz));
  }
  const policy = spec.concurrencyPolicy;
  if (policy !== "Allow" && policy !== "Forbid" && policy !== "Replace") errs.push(fieldNotSupported("spec.concurrencyPolicy", policy ?? "", ["Allow", "Forbid", "Replace"]));
  for (const f of ["startingDeadlineSeconds", "successfulJobsHistoryLimit", "failedJobsHistoryLimit"]) nonNegative(errs, `spec.${f}`, spec[f]);
  const template = objectAt(errs, "spec.jobTemplate", spec.jobTemplate);
  if (!template) return void errs.push(fieldRequired("spec.jobTemplate"));
  const meta = objOf(template.metadata);
  validateLabels(errs, "spec.jobTemplate.metadata.labels", meta?.labels);
  validateAnnotations(errs, "spec.jobTemplate.metadata.annotations", meta?.annotations);
  const jobSpec = objectAt(errs, "spec.jobTemplate.spec", template.spec);
  if (!jobSpec) return void errs.push(fieldRequired("spec.jobTemplate.spec"));
  if (jobSpec.selector !== undefined && jobSpec.manualSelector !== true) errs.push(fieldForbidden("spec.jobTemplate.spec.selector", "`selector` will be auto-generated"));
  validateJobSpec(errs, "spec.jobTemplate.spec", jobSpec, { template: true });
}

export const cronJobPrinter: Printer<CronJob> = {
  columns: [
    column("Name"),
    column("Schedule", "The schedule in Cron format, see https://en.wikipedia.org/wiki/Cron."),
    column("Timezone", "The time zone name for the given schedule, see https://en.wikipedia.org/wiki/List_of_tz_database_time_zones."),
    column("Suspend", "This flag tells the controller to suspend subsequent executions, it does not apply to already started executions.", { type: "boolean" }),
    column("Active", "A list of pointers to currently running jobs.", { type: "integer" }),
    column("Last Schedule", "Information when was the last time the job was successfully scheduled."),
    column("Age"),
    wide("Containers", "Names of each container in the template."),
    wide("Images", "Images referenced by each container in the template."),
    wide("Selector", "A label query over pods that should match the pod count."),
  ],
  cells: (cj, now) => [
    cj.metadata.name ?? "",
    cj.spec?.schedule ?? "",
    cj.spec?.timeZone ?? "<none>",
    cj.spec?.suspend === undefined ? "<unset>" : cj.spec.suspend ? "True" : "False",
    cj.status?.active?.length ?? 0,
    cj.status?.lastScheduleTime ? timestampSince(cj.status.lastScheduleTime, now) : "<none>",
    age(cj, now),
    ...containerCells(cj.spec?.jobTemplate?.spec?.template),
    selectorString(cj.spec?.jobTemplate?.spec?.selector),
  ],
};
