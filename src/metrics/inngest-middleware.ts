/**
 * Inngest middleware that feeds the metrics: every function run's end (succeeded, failed for good)
 * and every failed attempt Inngest will retry (retrying) and every event sent (`client.send` from the batch routes and
 * the library, `step.sendEvent` from the functions' fan-out). Added to every client by the factory;
 * without an installed registry the recorders do nothing.
 */
import { Middleware } from "inngest";
import { recordEventsSent, recordFunctionRun } from "./index.js";

export class MetricsMiddleware extends Middleware.BaseMiddleware {
  readonly id = "ayida-metrics";

  override onRunComplete(arg: Middleware.OnRunCompleteArgs): void {
    recordFunctionRun(arg.fn.id(), "succeeded");
  }

  override onRunError(arg: Middleware.OnRunErrorArgs): void {
    recordFunctionRun(arg.fn.id(), arg.isFinalAttempt ? "failed" : "retrying");
  }

  /** A step's attempt failed and Inngest will retry it: the run goes on, "retrying". (Its last failure ends the run: onRunError.) */
  override onStepError(arg: Middleware.OnStepErrorArgs): void {
    if (!arg.isFinalAttempt) recordFunctionRun(arg.fn.id(), "retrying");
  }

  override async wrapSendEvent(args: Middleware.WrapSendEventArgs) {
    try {
      const out = await args.next();
      recordEventsSent(args.events.length, "accepted");
      return out;
    } catch (err) {
      recordEventsSent(args.events.length, "failed");
      throw err;
    }
  }
}
