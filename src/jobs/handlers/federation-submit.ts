/**
 * @module The submission job: sends one submission to its upstream (src/federation/submissions.ts).
 * An upstream that refuses, or a submission that may no longer go, is not retried; an upstream
 * that does not answer or fails (5xx) is, with the queue's backoff.
 */
import { z } from 'zod';
import { sendSubmission, SUBMIT_JOB, SubmissionRefused, type SubmitDeps } from '../../federation/submissions.js';
import { PermanentJobError, type JobHandler } from '../queue.js';

export const SubmitPayload = z.object({ submissionId: z.string().uuid() }).strict();

export function federationSubmitHandler(deps: SubmitDeps): JobHandler<z.infer<typeof SubmitPayload>> {
  return {
    kind: SUBMIT_JOB,
    payload: SubmitPayload,
    async run(payload, ctx) {
      try {
        const sent = await sendSubmission({ ...deps, log: ctx.log }, payload.submissionId, ctx.signal);
        return { submissionId: sent.id, state: sent.state, remoteId: sent.remoteId };
      } catch (err) {
        if (err instanceof SubmissionRefused) throw new PermanentJobError(err.message);
        throw err;
      }
    },
  };
}
