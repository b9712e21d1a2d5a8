namespace Pipeline.Generation;

/// <summary>One member account of the synthetic organization.</summary>
internal sealed record OrgAccount(int Index, string Id, string Name, bool IsLogArchive);
