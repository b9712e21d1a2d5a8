using System.Reflection;
using Pipeline.Parsing;
using Pipeline.Sink;
using Pipeline.Tests.Support;

namespace Pipeline.Tests.Docs;

public sealed class ReadmeTests
{
    private static readonly string Readme = File.ReadAllText(Path.Combine(RepoRoot.Path, "README.md"));

    [Fact]
    public void Readme_documents_every_dataset_column_with_its_nullability()
    {
        foreach (var column in KmsSchema.Columns)
        {
            var line = Readme.Split('\n').FirstOrDefault(l => l.StartsWith($"| `{column.Name}` |", StringComparison.Ordinal));
            Assert.True(line is not null, $"README has no row for column {column.Name}");
            Assert.Contains(column.Nullable ? "| yes |" : "| no |", line, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Readme_describes_every_finding_kind_in_its_findings_table()
    {
        var firstCells = Readme.Split('\n').Where(l => l.StartsWith("| `", StringComparison.Ordinal)).Select(l => l.Split('|')[1]).ToList();
        foreach (var kind in Pipeline.Analysis.FindingKind.All)
        {
            Assert.True(firstCells.Any(c => c.Contains($"`{kind}`", StringComparison.Ordinal)), $"README's findings table has no row for {kind}");
        }
    }

    [Fact]
    public void The_readme_and_athena_define_kms_actions_over_the_same_rows_as_the_query_command()
    {
        // The golden dataset has no network activity events, so the golden comparison of the README's views cannot
        // see this filter: the three definitions must carry the same text.
        var athena = File.ReadAllText(Path.Combine(RepoRoot.Path, "queries", "athena", "create_table.sql"));
        Assert.Contains("WHERE " + Pipeline.Query.DatasetQuery.ActionFilter + ")", Readme, StringComparison.Ordinal);
        Assert.Contains("WHERE " + Pipeline.Query.DatasetQuery.ActionFilter + ")", athena, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Readme_lists_every_cli_command()
    {
        var (_, help, _) = await CliRunner.RunAsync("--help");
        foreach (var command in Pipeline.Cli.Program.BuildRoot().Subcommands)
        {
            Assert.Contains(command.Name, help, StringComparison.Ordinal);
            Assert.Contains($"`pipeline {command.Name}", Readme, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData(typeof(SinkOptions), SinkOptions.Section)]
    [InlineData(typeof(ReaderOptions), ReaderOptions.Section)]
    public void Readme_configuration_table_has_a_row_for_every_sink_and_reader_setting(Type options, string section)
    {
        var settings = options.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite).ToList();
        Assert.NotEmpty(settings);
        foreach (var setting in settings)
        {
            Assert.Contains($"| `{section}:{setting.Name}` |", Readme, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Readme_shows_the_test_command_that_ci_runs()
    {
        var ci = File.ReadAllText(Path.Combine(RepoRoot.Path, ".ci", "run"));
        Assert.Contains("dotnet test Pipeline.sln -c Release", Readme, StringComparison.Ordinal);
        Assert.Contains("dotnet test Pipeline.sln -c Release", ci, StringComparison.Ordinal);
    }
}
