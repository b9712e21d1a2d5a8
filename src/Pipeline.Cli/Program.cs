using System.CommandLine;
using Pipeline.Cli.Commands;

namespace Pipeline.Cli;

/// <summary>Entry point of the <c>pipeline</c> executable: wires the commands, nothing else.</summary>
public static class Program
{
    public static Task<int> Main(string[] args)
    {
        // Without tiered compilation every method is compiled fully optimised on first use, so the commands that read
        // CloudTrail compile their read path (and the worker its logging stack) on a spare core while the command line
        // is parsed. `ingest` builds its logging only when something is logged (CliLogging.Create).
        if (args.Length > 0 && args[0] is "ingest" or "worker" or "demo")
        {
            Pipeline.Parsing.ReadPathWarmup.Start();
            if (args[0] == "worker")
            {
                CliLogging.Warm();
            }
        }

        return InvokeAsync(BuildRoot().Parse(args));
    }

    /// <summary>
    /// Runs a parsed command line. A command line the parser rejects (unknown command or option, missing or
    /// unconvertible argument) prints the parser's message and help and exits 2, like every other usage error, not
    /// the parser's default 1, which means "ran, and something failed".
    /// </summary>
    internal static async Task<int> InvokeAsync(ParseResult parse, InvocationConfiguration? configuration = null)
    {
        var exit = await parse.InvokeAsync(configuration).ConfigureAwait(false);
        return parse.Errors.Count > 0 && exit == ExitCodes.Failure ? ExitCodes.UsageError : exit;
    }

    internal static RootCommand BuildRoot()
    {
        var root = new RootCommand("Pipeline: CloudTrail KMS events from S3 archives into Parquet, SQL and anomaly reports.");
        foreach (var command in CommandCatalog.All())
        {
            root.Subcommands.Add(command);
        }

        return root;
    }
}
