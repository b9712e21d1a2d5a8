using System.CommandLine;
using Pipeline.Cli.Commands;

namespace Pipeline.Cli;

/// <summary>Entry point of the <c>pipeline</c> executable: wires the commands, nothing else.</summary>
public static class Program
{
    public static Task<int> Main(string[] args)
    {
        // Without tiered compilation every method is compiled fully optimised on first use, so the commands that read
        // CloudTrail compile their read path and the logging stack on a spare core while the command line is parsed.
        if (args.Length > 0 && args[0] is "ingest" or "worker" or "demo")
        {
            Pipeline.Parsing.ReadPathWarmup.Start();
            CliLogging.Warm();
        }

        return BuildRoot().Parse(args).InvokeAsync();
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
