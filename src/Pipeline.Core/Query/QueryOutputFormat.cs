namespace Pipeline.Query;

/// <summary>How <see cref="DatasetQuery.WriteResultAsync"/> renders a result.</summary>
internal enum QueryOutputFormat
{
    Table,
    Csv,
    Json,
}
