import cliProgress from 'cli-progress'
import type { Colors } from 'picocolors/types.js'
import type { Progress } from '../core/reporter.js'
import { formatBytes } from '../core/units.js'

/** Redraws a second: often enough to look alive, and at least the once a second promised. */
const REDRAWS_PER_SECOND = 4

/** What a progress line shows, worked out afresh at each redraw so a stalled transfer shows it. */
interface Snapshot {
  done: number
  total: number
  elapsedSeconds: number
}

const LINES: Record<Progress['operation'], (snapshot: Snapshot) => string> = {
  download: ({ done, total, elapsedSeconds }) => {
    const rate = elapsedSeconds > 0 ? done / elapsedSeconds : 0
    const left =
      done >= total
        ? `in ${formatSeconds(elapsedSeconds)}`
        : rate > 0
          ? `${formatSeconds((total - done) / rate)} left`
          : 'starting'
    return `${formatBytes(done)} of ${formatBytes(total)} · ${formatBytes(Math.round(rate))}/s · ${left}`
  },
  delete: ({ done, total, elapsedSeconds }) => {
    // The pace held so far: deletions are paced under GitHub's secondary limit, about 170 a minute.
    const perMinute = elapsedSeconds > 0 ? Math.round((done / elapsedSeconds) * 60) : 0
    return `${done} of ${total} deleted · ${perMinute} a minute`
  },
}

const LABELS: Record<Progress['operation'], string> = {
  download: 'Downloading',
  delete: 'Deleting',
}

/**
 * A progress bar on a terminal's standard error, redrawn a few times a second by cli-progress;
 * log lines written meanwhile go above it. Only made when standard error is a terminal.
 */
export class ProgressDisplay {
  private bars: cliProgress.MultiBar | undefined
  private bar: cliProgress.SingleBar | undefined
  private operation: Progress['operation'] | undefined

  constructor(
    private readonly stream: NodeJS.WriteStream,
    private readonly colours: Colors,
  ) {}

  update(progress: Progress): void {
    if (this.operation !== progress.operation) this.start(progress)
    this.bar?.setTotal(progress.total)
    this.bar?.update(Math.min(progress.done, progress.total))
  }

  /** Writes a line (ending in a newline) above the bar while one is shown. */
  write(line: string): void {
    if (this.bars) this.bars.log(line)
    else this.stream.write(line)
  }

  /** Leaves the last state of the bar on screen, and the cursor below it. */
  stop(): void {
    // A last redraw writes the lines logged since the previous one.
    this.bars?.update()
    this.bars?.stop()
    this.bars = undefined
    this.bar = undefined
    this.operation = undefined
  }

  private start(progress: Progress): void {
    this.stop()
    const line = LINES[progress.operation]
    const label = this.colours.bold(LABELS[progress.operation])
    this.operation = progress.operation
    this.bars = new cliProgress.MultiBar({
      stream: this.stream,
      fps: REDRAWS_PER_SECOND,
      hideCursor: true,
      barsize: 24,
      barCompleteChar: '█',
      barIncompleteChar: '░',
      format: (options, params) =>
        `${label} ${cliProgress.Format.BarFormat(params.progress, options)} ` +
        line({
          done: params.value,
          total: params.total,
          elapsedSeconds: (Date.now() - params.startTime) / 1000,
        }),
    })
    this.bar = this.bars.create(progress.total, 0)
  }
}

function formatSeconds(seconds: number): string {
  const whole = Math.ceil(seconds)
  if (whole < 60) return `${whole} s`
  const minutes = Math.floor(whole / 60)
  if (minutes < 60) return `${minutes} min ${whole % 60} s`
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`
}
