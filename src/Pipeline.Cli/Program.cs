using System.CommandLine;
using Pipeline.Cli.Commands;

namespace Pipeline.Cli;

/// <summary>Entry point of the <c>pipeline</c> executable: wires the commands, nothing else.</summary>
public static class Program
{
    public static Task<int> Main(string[] args) => BuildRoot().Parse(args).InvokeAsync();

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
